// The medallion data lake of the Python original (bronze, silver, gold, archive, plus an optional partner feed),
// each connection's key in Key Vault, prefetched in parallel before the app runs.
//
// Local unless asked: however it is started (dotnet run, the built dll, a published binary) it runs against an
// in-process LocalKeyVault, and no request leaves the machine. --azure uses appsettings.json against Azure instead.
//
//   dotnet run --project samples/Medallion                      local Key Vault, FailFast
//   dotnet run --project samples/Medallion -- --fail silver     silver's secret answers 403: the host does not start
//                                                               (repeat --fail for several connections)
//   dotnet run --project samples/Medallion -- --fail silver --policy Degrade    starts degraded
//   dotnet run --project samples/Medallion -- --verify-storage  also opens each container in Azurite
//                                                               (start it first: eval "$(bash eng/azurite.sh start)")
//   dotnet run --project samples/Medallion -- --azure           the real vaults, with Odibi:Credential or DefaultAzureCredential
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Odibi.Extensions;
using Odibi.Extensions.Testing;

if (!SampleArguments.TryParse(args, out var sample, out var usageError))
{
    if (usageError is null)
    {
        Console.WriteLine(SampleArguments.Help); // --help
        return 0;
    }

    Console.Error.WriteLine(usageError);
    Console.Error.WriteLine(SampleArguments.Usage);
    return 64;
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = [],
    ContentRootPath = AppContext.BaseDirectory, // appsettings.json next to the app, wherever it is run from
});
if (sample.Policy is not null)
{
    builder.Configuration["Odibi:Prefetch:Policy"] = sample.Policy;
}

foreach (var failName in sample.Fail.Where(name => !IsKeyVaultConnection(builder.Configuration, name)))
{
    var names = builder.Configuration.GetSection("Odibi:Connections").GetChildren().Where(c => IsKeyVaultConnection(builder.Configuration, c.Key)).Select(c => c.Key);
    Console.Error.WriteLine($"--fail: '{failName}' is not a connection that reads Key Vault; use one of: {string.Join(", ", names)}.");
    Console.Error.WriteLine(SampleArguments.Usage);
    return 64;
}

Console.WriteLine(sample.Azure
    ? "Medallion: Azure Key Vault (--azure): the vaults in appsettings.json, signed in with Odibi:Credential or DefaultAzureCredential."
    : "Medallion: local Key Vault (in-process LocalKeyVault, ~150 ms per request): no request leaves this machine; --azure uses Azure.");

await using var localVault = sample.Azure ? null : await StartLocalKeyVaultAsync(builder.Configuration, sample.Fail);
if (sample.VerifyStorage && !await UseAzuriteAsync(builder.Configuration, localVault))
{
    return 4;
}

// ConnectionStrings:Warehouse in appsettings.json is a Key Vault reference, read here with the connections' engine and
// credential: one token for both, each secret read once.
try
{
    builder.Configuration.AddKeyVaultReferences(references =>
    {
        if (localVault is not null)
        {
            references.UseLocalKeyVault(localVault);
        }
    });
}
catch (KeyVaultReferenceException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}

var odibi = builder.Services.AddOdibiConnections();
if (localVault is not null)
{
    odibi.UseLocalKeyVault(localVault);
}

builder.Services.AddHealthChecks().AddOdibiConnections();

using var host = builder.Build();
try
{
    await host.StartAsync();
}
catch (OptionsValidationException exception)
{
    Console.Error.WriteLine(exception.Message); // one problem per line
    return 2;
}
catch (OdibiPrefetchException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}

var connections = host.Services.GetRequiredService<IAdlsConnections>();
PrintPrefetch(connections.LastPrefetch, localVault);

var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
Console.WriteLine($"Health: {health.Status} ({health.Entries["odibi-connections"].Description})");

Console.WriteLine($"ConnectionStrings:Warehouse: read from Key Vault ({builder.Configuration.GetConnectionString("Warehouse")?.Length ?? 0} characters)");

var bronze = connections["bronze"];
Console.WriteLine();
Console.WriteLine($"bronze: {bronze.GetUri("2024/01/orders.parquet")}");
if (bronze.Status == ConnectionStatus.Ready)
{
    foreach (var key in (await bronze.GetSparkConfigurationAsync()).Keys)
    {
        Console.WriteLine($"  spark.conf.set(\"{key}\", <redacted>)");
    }
}

if (sample.VerifyStorage)
{
    // Prefetch:VerifyStorage opened every container at startup: say what that check found, connection by connection.
    Console.WriteLine();
    Console.WriteLine("Storage checked at startup (Azurite, one Get Container Properties per connection):");
    foreach (var connection in connections)
    {
        var outcome = connection.Status == ConnectionStatus.Ready ? "opened" : $"NOT opened: {connection.LastResult?.Error?.Message}";
        Console.WriteLine($"  {connection.Name,-10} container '{connection.Container}' at {connection.BlobEndpoint}: {outcome}");
    }
}

if (sample.VerifyStorage && bronze.Status == ConnectionStatus.Ready)
{
    var container = await bronze.GetBlobContainerClientAsync();
    await container.UploadBlobAsync($"{bronze.PathPrefix}/orders-{DateTime.UtcNow:HHmmss}.csv", BinaryData.FromString("id,amount\n1,9.5\n"));
    await foreach (var blob in container.GetBlobsAsync())
    {
        Console.WriteLine($"  stored: {container.Uri}/{blob.Name}");
    }
}

await host.StopAsync();
return health.Status == HealthStatus.Healthy ? 0 : 3;

// Points every connection at Azurite (the storage emulator), with its well-known key in the local vault, creates the
// containers, and turns on Prefetch:VerifyStorage so the startup also opens each container.
static async Task<bool> UseAzuriteAsync(IConfiguration configuration, LocalKeyVault? vault)
{
    const string account = "devstoreaccount1";
    const string key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    var url = Environment.GetEnvironmentVariable("ODIBI_AZURITE_BLOB_URL");
    if (url is null || vault is null)
    {
        Console.Error.WriteLine("--verify-storage needs Azurite and the local Key Vault (not --azure): run eval \"$(bash eng/azurite.sh start)\" first.");
        return false;
    }

    var admin = new BlobServiceClient(new Uri(url), new StorageSharedKeyCredential(account, key));
    var sas = new AccountSasBuilder(AccountSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1), AccountSasServices.Blobs, AccountSasResourceTypes.All)
        .ToSasQueryParameters(new StorageSharedKeyCredential(account, key)).ToString();
    foreach (var connection in configuration.GetSection("Odibi:Connections").GetChildren())
    {
        connection["Account"] = account;
        connection["BlobServiceUri"] = url;
        await admin.GetBlobContainerClient(connection["Container"]).CreateIfNotExistsAsync();
        var secret = connection["AuthMode"] == "SasToken" ? sas : key;
        vault.Vault(connection["KeyVaultName"]!).SetSecret(connection["SecretName"]!, secret);
    }

    configuration["Odibi:Prefetch:VerifyStorage"] = "true";
    return true;
}

static async Task<LocalKeyVault> StartLocalKeyVaultAsync(IConfiguration configuration, IReadOnlyList<string> failConnections)
{
    var vault = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions
    {
        Latency = TimeSpan.FromMilliseconds(150),
        Jitter = TimeSpan.FromMilliseconds(20),
    });
    vault.SeedSecrets(configuration);
    foreach (var failConnection in failConnections)
    {
        var connection = configuration.GetSection($"Odibi:Connections:{failConnection}");
        vault.Vault(connection["KeyVaultName"]!).InjectFault(connection["SecretName"]!, LocalKeyVaultFault.Status(403).Always());
    }

    return vault;
}

static bool IsKeyVaultConnection(IConfiguration configuration, string name)
{
    var connection = configuration.GetSection($"Odibi:Connections:{name}");
    return connection.Exists() && connection["KeyVaultName"] is { Length: > 0 } && connection["SecretName"] is { Length: > 0 };
}

static void PrintPrefetch(PrefetchReport? report, LocalKeyVault? vault)
{
    if (report is null)
    {
        Console.WriteLine("No prefetch has finished (Background policy).");
        return;
    }

    Console.WriteLine();
    Console.WriteLine($"  {"connection",-10} {"account",-18} {"vault / secret",-40} {"status",-7} {"ms",6}");
    foreach (var result in report.Results)
    {
        var secret = result.KeyVaultUri is null ? "(identity token)" : $"{result.KeyVaultUri.Host.Split('.')[0]}/{result.SecretName}";
        Console.WriteLine($"  {result.ConnectionName,-10} {result.Account,-18} {secret,-40} {(result.Success ? "ok" : "FAILED"),-7} {result.Duration.TotalMilliseconds,6:F0}");
    }

    Console.WriteLine();
    Console.WriteLine($"  {report}");
    if (vault is not null)
    {
        // What the time bought, counted by the local vault: one token (the reference's and the connections'), and one
        // request per distinct secret, the token on the first (the vault is under vault.azure.net: no challenge).
        var secrets = report.Results.Where(r => r.SecretName is not null).Select(r => (r.KeyVaultUri, r.SecretName)).Distinct().Count();
        Console.WriteLine($"  {vault.Credential.Count} token request(s), {vault.Requests.Count} Key Vault requests for {secrets} distinct secrets and the warehouse reference, " +
                          "all in parallel (the benchmark: tests/Odibi.Extensions.Benchmarks, README Performance).");
    }

    foreach (var failure in report.Results.Where(r => !r.Success))
    {
        Console.WriteLine($"  ! {failure.Error?.Message}");
    }

    Console.WriteLine();
}

/// <summary>The sample's switches. Anything else is refused with the usage line.</summary>
internal sealed record SampleArguments(bool Azure, IReadOnlyList<string> Fail, string? Policy, bool VerifyStorage)
{
    public const string Usage =
        "usage: Medallion [--azure] [--fail <connection>]... [--policy FailFast|Degrade|Background] [--verify-storage] [--help]";

    public const string Help = Usage + """


        Starts the medallion lake's connections (bronze, silver, gold, archive, partner) and prints what the prefetch did.
        Local by default: an in-process LocalKeyVault, no Azure account, no request leaves the machine.

        options:
          --azure                 use the vaults in appsettings.json on Azure (Odibi:Credential or DefaultAzureCredential)
          --fail <connection>     make that connection's secret answer 403 in the local vault; repeat for several
          --policy <policy>       Odibi:Prefetch:Policy: FailFast (default), Degrade or Background
          --verify-storage        also open each connection's container in Azurite, and report each one
                                  (start it first: eval "$(bash eng/azurite.sh start)")
          -h, --help              this text

        exit codes:
          0   every connection ready and healthy
          1   FailFast: a required connection failed; the host did not start
          2   the Odibi configuration is invalid (each problem is printed)
          3   started, but not healthy (Degrade or Background with a failed connection)
          4   --verify-storage without Azurite (or with --azure)
          64  a bad command line
        """;

    public static bool TryParse(string[] args, out SampleArguments arguments, out string? error)
    {
        bool azure = false, verifyStorage = false;
        var fail = new List<string>();
        string? policy = null;
        arguments = new SampleArguments(false, [], null, false);
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--azure": azure = true; break;
                case "--verify-storage": verifyStorage = true; break;
                case "--fail" or "--policy" when i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal):
                    error = $"{args[i]} needs a value.";
                    return false;
                case "--fail": fail.Add(args[++i]); break;
                case "--policy":
                    policy = args[++i];
                    if (!Enum.TryParse<PrefetchPolicy>(policy, ignoreCase: true, out _))
                    {
                        error = $"--policy '{policy}' is not a policy.";
                        return false;
                    }

                    break;
                case "-h" or "--help":
                    return false;
                default:
                    error = $"'{args[i]}' is not an option.";
                    return false;
            }
        }

        if (azure && (fail.Count > 0 || verifyStorage))
        {
            error = "--fail and --verify-storage work with the local Key Vault only, not with --azure.";
            return false;
        }

        arguments = new SampleArguments(azure, fail, policy, verifyStorage);
        return true;
    }
}
