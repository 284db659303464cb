using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Testing;

/// <summary><c>UseLocalKeyVault</c>: every credential the connections use is the local vault's, identity modes included.</summary>
public sealed class LocalKeyVaultOdibiBuilderExtensionsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Every mode; identity endpoints (Entra ID, the managed identity endpoint) do not exist here.</summary>
    public static string AllModes(string vault) => OdibiJson($$"""
        "bronze": { "Account": "bronze001", "Container": "bronze", "AuthMode": "KeyVault", "KeyVaultName": "{{vault}}", "SecretName": "bronze-key" },
        "dev": { "Account": "dev001", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}" },
        "partner": { "Account": "partner001", "Container": "inbound", "AuthMode": "SasToken", "KeyVaultName": "{{vault}}", "SecretName": "partner-sas" },
        "spn": { "Account": "spn001", "Container": "lake", "AuthMode": "ServicePrincipal", "TenantId": "10ca1ca1-7e57-4000-8000-000000000002",
                 "ClientId": "10ca1ca1-7e57-4000-8000-000000000003", "KeyVaultName": "{{vault}}", "SecretName": "spn-secret" },
        "mi": { "Account": "mi001", "Container": "lake", "AuthMode": "ManagedIdentity" },
        "miuser": { "Account": "miuser001", "Container": "lake", "AuthMode": "ManagedIdentity", "ClientId": "10ca1ca1-7e57-4000-8000-000000000004" }
        """, prefetch: "\"FetchTimeout\": \"00:00:05\"");

    [Fact]
    public async Task UseLocalKeyVault_EveryMode_ReadyWithTheLocalCredentialOnly()
    {
        var json = AllModes(UniqueVaultName());
        using var host = Build(json, _server, builder => _server.SeedSecrets(builder.Configuration), output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        var mi = await connections["mi"].CreateBlobServiceClientAsync();
        await host.StopAsync();

        Assert.All(connections, c => Assert.Equal(ConnectionStatus.Ready, c.Status));
        Assert.True(connections.LastPrefetch!.AllSucceeded, connections.LastPrefetch.ToString());
        Assert.Equal(3, _server.Credential.Requests.Count(r => r.Scopes.SequenceEqual(["https://storage.azure.com/.default"])));
        Assert.Equal(new Uri("https://mi001.blob.core.windows.net/"), mi.Uri);
    }

    [Fact]
    public async Task UseCredential_ManagedIdentityWithoutClientId_UsesTheAppCredentialForStorage()
    {
        var app = new CountingTokenCredential();
        using var host = BuildWithout(OdibiJson("""
            "mi": { "Account": "mi001", "Container": "lake", "AuthMode": "ManagedIdentity" }
            """, prefetch: "\"FetchTimeout\": \"00:00:05\""), b => b.UseCredential(app));

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Ready, host.Services.GetRequiredService<IAdlsConnections>()["mi"].Status);
        Assert.Equal(["https://storage.azure.com/.default"], Assert.Single(app.Requests).Scopes);
    }

    [Fact]
    public async Task UseStorageCredential_IdentityConnections_UseItNotTheirOwnIdentities()
    {
        var app = new CountingTokenCredential();
        var storage = new CountingTokenCredential();
        using var host = BuildWithout(OdibiJson("""
            "spn": { "Account": "spn001", "Container": "lake", "AuthMode": "ServicePrincipal", "TenantId": "10ca1ca1-7e57-4000-8000-000000000002",
                     "ClientId": "10ca1ca1-7e57-4000-8000-000000000003", "ClientSecret": "inline-client-secret" },
            "mi": { "Account": "mi001", "Container": "lake", "AuthMode": "ManagedIdentity", "ClientId": "10ca1ca1-7e57-4000-8000-000000000004" }
            """, prefetch: "\"FetchTimeout\": \"00:00:05\""), b => b.UseCredential(app).UseStorageCredential(storage));

        await host.StartAsync();
        await host.StopAsync();

        Assert.All(host.Services.GetRequiredService<IAdlsConnections>(), c => Assert.Equal(ConnectionStatus.Ready, c.Status));
        Assert.Equal(0, app.Count);
        Assert.Equal(2, storage.Count);
    }

    private IHost BuildWithout(string json, Action<IOdibiConnectionsBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders(); // a passing test prints nothing
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output));
        builder.Configuration.AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        configure(builder.Services.AddOdibiConnections());
        return builder.Build();
    }
}
