using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Tests.Infrastructure;

/// <summary>
/// The Azurite blob emulator the storage tests talk to, found through <c>ODIBI_AZURITE_BLOB_URL</c> (set by
/// <c>.ci/run</c> and printed by <c>eng/azurite.sh start</c>). Without it the tests skip; in CI (<c>CI=true</c>) they fail.
/// </summary>
internal static class Azurite
{
    public const string Account = "devstoreaccount1";
    public const string UrlVariable = "ODIBI_AZURITE_BLOB_URL";

    private static readonly Lazy<Task<string?>> Problem = new(FindProblemAsync);

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Gets the blob service URL, e.g. <c>http://127.0.0.1:10000/devstoreaccount1</c>; skips (fails in CI) when Azurite does not answer.</summary>
    public static async Task<string> RequireAsync()
    {
        var problem = await Problem.Value;
        if (problem is not null && IsCi)
        {
            throw new InvalidOperationException($"{problem} CI=true, where .ci/run starts Azurite and exports {UrlVariable}: the storage tests must run, not skip.");
        }

        Skip.If(problem is not null, $"{problem} Start it with: eval \"$(bash eng/azurite.sh start)\" (needs node and npm).");
        return Url!;
    }

    /// <summary>A container name no other test uses.</summary>
    public static string UniqueContainer(string prefix = "t") => $"{prefix}{Guid.NewGuid():N}"[..24];

    /// <summary>A client with the emulator's well-known key, to arrange and inspect blobs behind the library's back.</summary>
    public static BlobServiceClient Admin(string url) => new(new Uri(url), new StorageSharedKeyCredential(Account, TestConfiguration.AzuriteKey), FastRetries(new BlobClientOptions()));

    public static async Task<string> CreateContainerAsync(string url)
    {
        var name = UniqueContainer();
        await Admin(url).CreateBlobContainerAsync(name);
        return name;
    }

    /// <summary>A <c>KeyVault</c> connection to the emulator whose key is secret <paramref name="secret"/> of <paramref name="vault"/>.</summary>
    public static string KeyVaultConnection(string url, string container, string vault, string secret, bool optional = false) =>
        $$"""{ "Account": "{{Account}}", "Container": "{{container}}", "BlobServiceUri": "{{url}}", "AuthMode": "KeyVault", "KeyVaultName": "{{vault}}", "SecretName": "{{secret}}", "Optional": {{(optional ? "true" : "false")}} }""";

    /// <summary>Builds a host like <see cref="VaultTestHost.Build"/>, with blob clients that give up quickly.</summary>
    public static IHost Build(string json, LocalKeyVault vault, Action<HostApplicationBuilder>? configure = null, ITestOutputHelper? output = null) =>
        VaultTestHost.Build(json, vault, builder =>
        {
            new OdibiConnectionsBuilder(builder.Services).ConfigureBlobClient(options => FastRetries(options));
            configure?.Invoke(builder);
        }, output: output);

    public static BlobClientOptions FastRetries(BlobClientOptions options)
    {
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return options;
    }

    private static string? Url => Environment.GetEnvironmentVariable(UrlVariable)?.TrimEnd('/');

    private static async Task<string?> FindProblemAsync()
    {
        if (string.IsNullOrWhiteSpace(Url))
        {
            return $"Azurite is not running here ({UrlVariable} is not set).";
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Admin(Url).GetPropertiesAsync(timeout.Token);
            return null;
        }
        catch (Exception exception)
        {
            return $"Azurite does not answer at {UrlVariable}={Url} ({exception.GetType().Name}).";
        }
    }
}
