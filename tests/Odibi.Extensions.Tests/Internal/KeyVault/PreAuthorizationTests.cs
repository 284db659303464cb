using Azure.Core;
using Azure.Core.Pipeline;
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
    public async Task PreAuthorizedRead_LoadsTheTrustedRootsWhileItsTokenComes()
    {
        // What the first handshake of a cold process would read: loaded while the first read waits for its token (the
        // cold-start benchmark measures what it saves; only a pre-authorized read starts it).
        var vaultName = UniqueVaultName("roots");
        Assert.True(await StartFourAsync(_server, vaultName, vaultName));

        Assert.True(TrustedRootsWarmUp.Started);
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
        // One token: the credential's own, asked for while the challenge was on its way, and issued in the tenant the
        // challenge named, so it answered the SDK's request too. Had its context differed from the SDK's (CAE off, say),
        // the SDK's request would have gone to the credential as a second one.
        var context = Assert.Single(_server.Credential.Requests);
        Assert.Null(context.TenantId);
        Assert.Equal([VaultScope], context.Scopes);
        Assert.True(context.IsCaeEnabled);
        Assert.Null(context.Claims);
    }

    [Fact]
    public async Task Startup_VaultOutsideKeyVaultSuffixes_TheTokenIsAskedForWhileTheChallengeIsOnItsWay()
    {
        // The vault's first request is held before it leaves until the credential has been asked: it leaves only if the
        // token request starts before the challenge's answer is back (held for at most 10 s, then the read fails).
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var credential = new SignalingCredential(_server.Credential, asked);
        var vaultName = UniqueVaultName("overlap");
        using var host = Build(OdibiJson(FourConnections(_server, vaultName, PrivateVaultUri(vaultName))), _server,
            b => b.Services.AddOdibiConnections()
                .UseCredential(credential)
                .ConfigureSecretClient(o => o.AddPolicy(new HoldChallengeUntil(asked.Task), HttpPipelinePosition.BeforeTransport)),
            output: output);

        await host.StartAsync();
        var statuses = host.Services.GetRequiredService<IAdlsConnections>().Select(c => c.Status).ToList();
        await host.StopAsync();

        Assert.All(statuses, s => Assert.Equal(ConnectionStatus.Ready, s));
        Assert.Null(Assert.Single(_server.Credential.Requests).TenantId);
        var requests = _server.Requests.Where(r => r.VaultName == vaultName).ToList();
        Assert.Equal(5, requests.Count);
        Assert.Equal(401, requests[0].StatusCode);
    }

    [Fact]
    public async Task Startup_VaultOutsideKeyVaultSuffixes_InAnotherTenant_TheChallengesTenantIsAskedForToo()
    {
        // The credential's own token names its home tenant, not the challenge's: it is not handed to the SDK.
        const string tenant = "20CA1CA1-7E57-4000-8000-000000000002";
        await using var server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { TenantId = tenant });
        server.ValidateToken = token => token == CountingTokenCredential.TokenFor(tenant);
        var vaultName = UniqueVaultName("foreign");

        Assert.True(await StartFourAsync(server, vaultName, PrivateVaultUri(vaultName)));

        Assert.Equal([null, tenant], server.Credential.Requests.Select(r => r.TenantId));
        var requests = server.Requests.Where(r => r.VaultName == vaultName).ToList();
        Assert.Equal(5, requests.Count);
        Assert.All(requests.Skip(1), r => Assert.Equal(200, r.StatusCode));
    }

    [Theory]
    [InlineData("https://kv.privatelink.vaultcore.azure.net/", "https://vault.azure.net/.default")]
    [InlineData("https://kv.privatelink.vaultcore.azure.cn/", "https://vault.azure.cn/.default")]
    [InlineData("https://kv.privatelink.vaultcore.usgovcloudapi.net/", "https://vault.usgovcloudapi.net/.default")]
    [InlineData("https://127.0.0.1:8443/", "https://vault.azure.net/.default")]
    public void EarlyToken_GuessesTheCloudFromTheHost(string vault, string scope)
    {
        Assert.Equal(scope, EarlyToken.ScopeGuess(new Uri(vault)));
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

    /// <summary>Signals when it is first asked for a token, then asks <paramref name="inner"/>.</summary>
    private sealed class SignalingCredential(TokenCredential inner, TaskCompletionSource asked) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            asked.TrySetResult();
            return inner.GetToken(requestContext, cancellationToken);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            asked.TrySetResult();
            return inner.GetTokenAsync(requestContext, cancellationToken);
        }
    }

    /// <summary>Holds a request without a token (the one the vault challenges) until <paramref name="release"/> completes, for at most 10 s.</summary>
    private sealed class HoldChallengeUntil(Task release) : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (!message.Request.Headers.Contains(HttpHeader.Names.Authorization))
            {
                await release.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }

            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
    }
}
