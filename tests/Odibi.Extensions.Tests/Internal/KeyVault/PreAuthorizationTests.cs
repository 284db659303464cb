using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

/// <summary>
/// A vault under Key Vault's own DNS suffixes is read with the token on the first request (a token, then one round trip);
/// any other vault host is challenged first, as the SDK does; a vault that refuses the token hands over to the SDK.
/// </summary>
public sealed class PreAuthorizationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string VaultScope = "https://vault.azure.net/.default";

    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("https://orders-kv.vault.azure.net/", "https://vault.azure.net/.default")]
    [InlineData("https://Orders-KV.VAULT.Azure.NET/", "https://vault.azure.net/.default")]
    [InlineData("https://orders-kv.vault.azure.cn/", "https://vault.azure.cn/.default")]
    [InlineData("https://orders-kv.vault.usgovcloudapi.net/", "https://vault.usgovcloudapi.net/.default")]
    [InlineData("https://orders-hsm.managedhsm.azure.net/", "https://managedhsm.azure.net/.default")]
    [InlineData("https://vault.azure.net/", null)]                         // the suffix itself is no vault
    [InlineData("https://evilvault.azure.net/", null)]                     // a look-alike, not below the suffix
    [InlineData("https://orders-kv.vault.azure.net.example.com/", null)]   // the suffix inside another name
    [InlineData("https://orders-kv.privatelink.contoso.com/", null)]       // a private DNS name
    [InlineData("https://127.0.0.1:8443/", null)]                          // an address
    [InlineData("http://orders-kv.vault.azure.net/", null)]                // not TLS
    public void ScopeFor_DecidesFromTheConfiguredHostOnly(string vault, string? scope)
    {
        Assert.Equal(scope, PreAuthorization.ScopeFor(new Uri(vault)));
    }

    [Fact]
    public async Task Startup_VaultUnderKeyVaultSuffix_EveryGetCarriesTheTokenAndNoChallengeIsSent()
    {
        var vaultName = UniqueVaultName("pre");
        Assert.True(await StartFourAsync(_server, vaultName, vaultName));
        var requests = _server.Requests.Where(r => r.VaultName == vaultName).ToList();
        Assert.Equal(4, requests.Count);
        Assert.All(requests, r => Assert.True(r.HasToken && r.StatusCode == 200, r.ToString()));
        Assert.Equal(0, _server.Vault(vaultName).ChallengeCount);
        var context = Assert.Single(_server.Credential.Requests);
        Assert.Equal([VaultScope], context.Scopes);
        Assert.Null(context.TenantId); // the credential's own tenant: no challenge has named one
        Assert.True(context.IsCaeEnabled);
        Assert.Null(context.Claims);
    }

    [Fact]
    public async Task PreAuthorizedContext_IsTheOneTheSdkAsksForAfterAChallenge_ButForTheTenant()
    {
        // Same scope and CAE flag as the SDK's own request: a mismatch (CAE on one, off on the other) would make the
        // credential keep two tokens, and a process that reads one vault each way would ask for two.
        var sdkVault = UniqueVaultName("sdk");
        _server.Vault(sdkVault).SetSecret("key", "value");
        await _server.CreateClient(sdkVault).GetSecretAsync("key");
        var sdk = Assert.Single(_server.Credential.Requests);
        _server.Credential.Reset();

        var vaultName = UniqueVaultName("pre");
        _server.Vault(vaultName).SetSecret("key", "value");
        using var host = Build(OdibiJson($"\"c\": {KeyVaultConnection("account001", vaultName, "key")}"), _server, output: output);
        await host.StartAsync();
        await host.StopAsync();

        var ours = Assert.Single(_server.Credential.Requests);
        Assert.Equal(sdk.Scopes, ours.Scopes);
        Assert.Equal(sdk.IsCaeEnabled, ours.IsCaeEnabled);
        Assert.Equal(sdk.Claims, ours.Claims);
        Assert.Equal(_server.TenantId, sdk.TenantId);
        Assert.Null(ours.TenantId);
    }

    [Fact]
    public async Task Startup_VaultInAnotherTenant_RefusesTheTokenAndTheSdkRecoversWithTheChallengesTenant()
    {
        const string tenant = "tenant-b";
        await using var server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { TenantId = tenant });
        server.ValidateToken = token => token == TenantTokenCredential.TokenFor(tenant);
        var credential = new TenantTokenCredential();
        var vaultName = UniqueVaultName("foreign");
        using var host = Build(OdibiJson(FourConnections(server, vaultName, vaultName)), server, b => b.Services.AddOdibiConnections().UseCredential(credential), output: output);

        await host.StartAsync();
        var all = host.Services.GetRequiredService<IAdlsConnections>();
        var statuses = all.Select(c => c.Status).ToList();
        var value = await all["c3"].GetStorageKeyAsync();
        await host.StopAsync();

        Assert.All(statuses, s => Assert.Equal(ConnectionStatus.Ready, s));
        Assert.Equal("value-3", value);
        // The credential's own token first, refused; then the challenge's tenant, once, shared by every read.
        Assert.Equal([null, tenant], credential.Requests.Select(r => r.TenantId));
        Assert.All(credential.Requests, r => Assert.True(r.IsCaeEnabled));
        var accepted = server.Requests.Where(r => r.VaultName == vaultName && r.StatusCode == 200).ToList();
        Assert.Equal(4, accepted.Count);
    }

    [Fact]
    public async Task Startup_ClaimsChallenge_TheSdkTakesOverAndRecoversWithTheClaims()
    {
        // A claims challenge names no resource: the SDK can answer it only for a vault whose challenge it already has.
        // The refused pre-authorized read is sent again without a token, so the SDK gets the vault's challenge first.
        const string claims = """{"access_token":{"nbf":{"essential":true,"value":"1726258122"}}}""";
        _server.ClaimsChallenge = token => token.EndsWith("+claims", StringComparison.Ordinal) ? null : claims;
        var credential = new TenantTokenCredential();
        var vaultName = UniqueVaultName("cae");
        _server.Vault(vaultName).SetSecret("key", "value");
        using var host = Build(OdibiJson($"\"c\": {KeyVaultConnection("account001", vaultName, "key")}"), _server,
            b => b.Services.AddOdibiConnections().UseCredential(credential), output: output);

        await host.StartAsync();
        var connection = host.Services.GetRequiredService<IAdlsConnections>()["c"];
        var status = connection.Status;
        var value = await connection.GetStorageKeyAsync();
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Ready, status);
        Assert.Equal("value", value);
        var withClaims = Assert.Single(credential.Requests, r => r.Claims is not null);
        Assert.Equal(claims, withClaims.Claims);
        Assert.Null(credential.Requests[0].TenantId); // the pre-authorized read came first
    }

    [Fact]
    public async Task Startup_VaultOutsideKeyVaultSuffixes_NoTokenGoesBeforeItsChallenge()
    {
        var vaultName = UniqueVaultName("priv");
        Assert.True(await StartFourAsync(_server, vaultName, PrivateVaultUri(vaultName)));
        var requests = _server.Requests.Where(r => r.VaultName == vaultName).ToList();
        Assert.Equal(5, requests.Count); // the challenge, then one GET per secret
        Assert.False(requests[0].HasToken);
        Assert.Equal(401, requests[0].StatusCode);
        Assert.All(requests.Skip(1), r => Assert.True(r.HasToken && r.StatusCode == 200, r.ToString()));
        // The only token asked for is the one the challenge named.
        Assert.Equal(_server.TenantId, Assert.Single(_server.Credential.Requests).TenantId);
    }

    [Fact]
    public async Task Write_IsNeverPreAuthorized_ItsChallengeIsSentWithoutTheBody()
    {
        // The SDK fetches a write's challenge with the body taken off; a token on that send would store an empty value.
        var vaultName = UniqueVaultName("write");
        _server.Vault(vaultName);
        var vaultUri = new Uri($"https://{vaultName}.vault.azure.net/");
        var options = new SecretClientOptions();
        options.AddPolicy(PreAuthorization.For(vaultUri, _server.Credential)!, HttpPipelinePosition.PerRetry);
        _server.ConfigureClientOptions(options);
        var client = new SecretClient(vaultUri, _server.Credential, options);

        await client.SetSecretAsync("written", "the-value");
        var read = await client.GetSecretAsync("written");

        Assert.Equal("the-value", read.Value.Value);
        var requests = _server.Requests.Where(r => r.VaultName == vaultName).ToList();
        Assert.Equal(["PUT", "PUT", "GET"], requests.Select(r => r.Method));
        Assert.False(requests[0].HasToken);
        Assert.Equal(401, requests[0].StatusCode);
    }

    /// <summary>Four connections c0–c3 reading key-0…key-3 (value-0…) from <paramref name="vaultName"/>, named in configuration as <paramref name="vaultReference"/>.</summary>
    private static string FourConnections(LocalKeyVault server, string vaultName, string vaultReference) =>
        string.Join(",", Enumerable.Range(0, 4).Select(i =>
        {
            server.Vault(vaultName).SetSecret($"key-{i}", $"value-{i}");
            return $"\"c{i}\": {KeyVaultConnection($"account{i:D3}", vaultReference, $"key-{i}")}";
        }));

    /// <summary>Starts and stops a host with <see cref="FourConnections"/>; whether all four were Ready after its start.</summary>
    private async Task<bool> StartFourAsync(LocalKeyVault server, string vaultName, string vaultReference)
    {
        using var host = Build(OdibiJson(FourConnections(server, vaultName, vaultReference)), server, output: output);
        await host.StartAsync();
        var ready = host.Services.GetRequiredService<IAdlsConnections>().All(c => c.Status == ConnectionStatus.Ready);
        await host.StopAsync();
        return ready;
    }
}
