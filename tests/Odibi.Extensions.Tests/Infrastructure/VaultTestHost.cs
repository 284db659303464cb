using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Testing;

namespace Odibi.Extensions.Tests.Infrastructure;

/// <summary>Builds real generic hosts whose connections read secrets from a <see cref="LocalKeyVault"/>.</summary>
internal static class VaultTestHost
{
    public static async Task<LocalKeyVault> StartVaultAsync()
    {
        TestThreadPool.EnsureMinThreads();
        return await LocalKeyVault.StartAsync();
    }

    /// <summary>A vault name no other test uses: the SDK caches challenges per vault host for the whole process.</summary>
    public static string UniqueVaultName(string prefix = "kv") => $"{prefix}-{Guid.NewGuid():N}"[..20];

    /// <summary>
    /// A vault URI outside Key Vault's DNS suffixes (a private DNS name) for the vault <paramref name="vault"/>: the library
    /// sends no token there before the vault's challenge.
    /// </summary>
    public static string PrivateVaultUri(string vault) => $"https://{vault}.privatelink.contoso.test/";

    /// <summary>A connection that reads its account key from <paramref name="vault"/> (a name or a vault URI).</summary>
    public static string KeyVaultConnection(string account, string vault, string secret, bool optional = false) =>
        $$"""{ "Account": "{{account}}", "Container": "data", "AuthMode": "KeyVault", "KeyVaultName": "{{vault}}", "SecretName": "{{secret}}", "Optional": {{(optional ? "true" : "false")}} }""";

    public static string OdibiJson(string connections, string prefetch = "", string refresh = "") => $$"""
        { "Odibi": {
            "Prefetch": { {{prefetch}} },
            "Refresh": { {{refresh}} },
            "Connections": { {{connections}} } } }
        """;

    /// <summary>
    /// A host whose log goes to a <see cref="Microsoft.Extensions.Logging.Testing.FakeLogCollector"/> and, given
    /// <paramref name="output"/>, to the test's output, which the console shows for a failed test only.
    /// </summary>
    public static IHost Build(
        string json,
        LocalKeyVault vault,
        Action<HostApplicationBuilder>? configure = null,
        string environment = "Development",
        ITestOutputHelper? output = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = environment,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddFakeLogging();
        if (output is not null)
        {
            builder.Logging.AddProvider(new TestOutputLoggerProvider(output));
        }

        builder.Services.AddOdibiConnections()
            .UseLocalKeyVault(vault)
            .ConfigureSecretClient(options =>
            {
                options.Retry.Delay = TimeSpan.FromMilliseconds(10);
                options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
            });
        configure?.Invoke(builder);
        return builder.Build();
    }
}
