// The medallion data lake of the Python original (bronze, silver, gold, archive, plus an optional partner feed),
// each connection's key in Key Vault, prefetched in parallel before the app runs.
//
//   dotnet run --project samples/Medallion                      local Key Vault (Development), FailFast
//   dotnet run --project samples/Medallion -- --fail silver     silver's secret answers 403: the host does not start
//   dotnet run --project samples/Medallion -- --fail silver --policy Degrade    starts degraded
//   dotnet run --project samples/Medallion -- --verify-storage  also opens each container in Azurite
//                                                               (start it first: eval "$(bash eng/azurite.sh start)")
//
// Outside Development (and without --local) it uses appsettings.json and DefaultAzureCredential against Azure.
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

var sample = SampleArguments.Parse(args);
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = sample.HostArguments,
    ContentRootPath = AppContext.BaseDirectory, // appsettings.json next to the app, wherever it is run from
});
if (sample.Policy is not null)
{
    builder.Configuration["Odibi:Prefetch:Policy"] = sample.Policy;
}

await using var localVault = sample.Local || builder.Environment.IsDevelopment()
    ? await StartLocalKeyVaultAsync(builder.Configuration, sample.Fail)
    : null;
if (sample.VerifyStorage && !await UseAzuriteAsync(builder.Configuration, localVault))
{
    return 4;
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
    Console.Error.WriteLine("The configuration is not valid:");
    foreach (var failure in exception.Failures)
    {
        Console.Error.WriteLine($"  - {failure}");
    }

    return 2;
}
catch (OdibiPrefetchException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}

var connections = host.Services.GetRequiredService<IAdlsConnections>();
PrintPrefetch(connections.LastPrefetch, localVault is null ? "Azure Key Vault" : $"local Key Vault at {localVault.Endpoint}");

var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
Console.WriteLine($"Health: {health.Status} ({health.Entries["odibi-connections"].Description})");

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
        Console.Error.WriteLine("--verify-storage needs Azurite and the local Key Vault: run eval \"$(bash eng/azurite.sh start)\" first, in Development.");
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

static async Task<LocalKeyVault> StartLocalKeyVaultAsync(IConfiguration configuration, string? failConnection)
{
    var vault = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions
    {
        Latency = TimeSpan.FromMilliseconds(150),
        Jitter = TimeSpan.FromMilliseconds(20),
    });
    vault.SeedSecrets(configuration);
    if (failConnection is not null)
    {
        var connection = configuration.GetSection($"Odibi:Connections:{failConnection}");
        vault.Vault(connection["KeyVaultName"] ?? throw new ArgumentException($"--fail: no Key Vault connection named '{failConnection}'."))
            .InjectFault(connection["SecretName"]!, LocalKeyVaultFault.Status(403).Always());
    }

    return vault;
}

static void PrintPrefetch(PrefetchReport? report, string source)
{
    if (report is null)
    {
        Console.WriteLine("No prefetch has finished (Background policy).");
        return;
    }

    Console.WriteLine($"Prefetched from {source}:");
    Console.WriteLine();
    Console.WriteLine($"  {"connection",-10} {"account",-18} {"vault / secret",-40} {"status",-7} {"ms",6}");
    foreach (var result in report.Results)
    {
        var secret = $"{result.KeyVaultUri?.Host.Split('.')[0]}/{result.SecretName}";
        Console.WriteLine($"  {result.ConnectionName,-10} {result.Account,-18} {secret,-40} {(result.Success ? "ok" : "FAILED"),-7} {result.Duration.TotalMilliseconds,6:F0}");
    }

    var sequential = report.Results.Sum(r => r.Duration.TotalMilliseconds);
    Console.WriteLine();
    Console.WriteLine($"  {report.Succeeded} of {report.Results.Count} ready in {report.Elapsed.TotalMilliseconds:F0} ms " +
                      $"(one after another: ~{sequential:F0} ms, {sequential / Math.Max(1, report.Elapsed.TotalMilliseconds):F1}x faster)");
    foreach (var failure in report.Results.Where(r => !r.Success))
    {
        Console.WriteLine($"  ! {failure.Error?.Message}");
    }

    Console.WriteLine();
}

/// <summary>The sample's own switches; everything else goes to the host (e.g. --environment Production).</summary>
internal sealed record SampleArguments(bool Local, string? Fail, string? Policy, bool VerifyStorage, string[] HostArguments)
{
    public static SampleArguments Parse(string[] args)
    {
        bool local = false, verifyStorage = false;
        string? fail = null, policy = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--local": local = true; break;
                case "--verify-storage": verifyStorage = true; break;
                case "--fail" when i + 1 < args.Length: fail = args[++i]; break;
                case "--policy" when i + 1 < args.Length: policy = args[++i]; break;
                default: rest.Add(args[i]); break;
            }
        }

        return new SampleArguments(local, fail, policy, verifyStorage, [.. rest]);
    }
}
