using Azure.Core;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

public class SharedTokenCredentialTests
{
    private static readonly TokenRequestContext Vault = new(["https://vault.azure.net/.default"]);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task GetTokenAsync_ConcurrentCallers_ShareOneAcquisition()
    {
        var inner = new HangsOnceCredential(_time, hangFirst: false);
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), _time);

        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => shared.GetTokenAsync(Vault, default).AsTask()));

        Assert.Equal(1, inner.Calls);
        Assert.All(tokens, t => Assert.Equal("token-1", t.Token));
    }

    [Fact]
    public async Task GetTokenAsync_ServerChosenClaimsAndTenants_KeepsABoundedNumberOfEntries()
    {
        var inner = new HangsOnceCredential(_time, hangFirst: false);
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), _time);

        for (var i = 0; i < 200; i++)
        {
            await shared.GetTokenAsync(new TokenRequestContext(["https://vault.azure.net/.default"], claims: $"{{\"access_token\":{{\"nbf\":{{\"value\":\"{i}\"}}}}}}", isCaeEnabled: true), default);
            await shared.GetTokenAsync(new TokenRequestContext(["https://vault.azure.net/.default"], tenantId: $"tenant-{i}", isCaeEnabled: true), default);
        }

        Assert.Equal(SharedTokenCredential.MaxEntries, shared.EntryCount); // claims are never kept; tenants up to the cap
        Assert.Equal(400, inner.Calls); // each distinct request still reached the credential
    }

    [Fact]
    public async Task GetTokenAsync_ShortLivedToken_SharedForHalfItsLifeThenRenewed()
    {
        var inner = new Odibi.Extensions.Testing.CountingTokenCredential { TokenLifetime = TimeSpan.FromMinutes(2) };
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), TimeProvider.System);

        await shared.GetTokenAsync(Vault, default);
        await shared.GetTokenAsync(Vault, default);

        Assert.Equal(1, inner.Count); // a 2-minute token is not "within 5 minutes of expiry" on every request
    }

    [Fact]
    public async Task GetTokenAsync_AcquisitionFailed_HandedToCallersWithinTheBackOffThenAskedAgain()
    {
        var inner = new CountingFailures();
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), _time);

        for (var i = 0; i < 8; i++)
        {
            await Assert.ThrowsAsync<Azure.Identity.AuthenticationFailedException>(() => shared.GetTokenAsync(Vault, default).AsTask());
        }

        Assert.Equal(1, inner.Calls);
        _time.Advance(TimeSpan.FromSeconds(1)); // the first back-off
        await Assert.ThrowsAsync<Azure.Identity.AuthenticationFailedException>(() => shared.GetTokenAsync(Vault, default).AsTask());
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task GetTokenAsync_AcquisitionHangsPastFetchTimeout_NewCallerStartsAFreshOne()
    {
        var inner = new HangsOnceCredential(_time, hangFirst: true);
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), _time);
        var hung = shared.GetTokenAsync(Vault, default).AsTask();
        await inner.FirstCallStarted.WaitAsync(TimeSpan.FromSeconds(10)); // the identity endpoint is now hanging
        Assert.False(hung.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(31)); // past the 30 s FetchTimeout
        var fresh = await shared.GetTokenAsync(Vault, default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("token-2", fresh.Token);
        Assert.Equal(2, inner.Calls);
        var error = await Assert.ThrowsAsync<TimeoutException>(() => hung.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("Odibi:Prefetch:FetchTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal("token-2", (await shared.GetTokenAsync(Vault, default)).Token); // the fresh token is shared from then on
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task GetTokenAsync_AcquisitionSlowerThanCallersButWithinFetchTimeout_IsJoined()
    {
        var inner = new HangsOnceCredential(_time, hangFirst: true);
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), _time);
        var first = shared.GetTokenAsync(Vault, default).AsTask();
        await inner.FirstCallStarted.WaitAsync(TimeSpan.FromSeconds(10));

        _time.Advance(TimeSpan.FromSeconds(29));
        var second = shared.GetTokenAsync(Vault, default).AsTask();
        inner.Answer();

        Assert.Equal("token-1", (await second.WaitAsync(TimeSpan.FromSeconds(10))).Token);
        Assert.Equal("token-1", (await first.WaitAsync(TimeSpan.FromSeconds(10))).Token);
        Assert.Equal(1, inner.Calls);
    }

    [Theory]
    [InlineData("10ca1ca1-7e57-4000-8000-000000000001", "10ca1ca1-7e57-4000-8000-000000000001")]
    [InlineData("10ca1ca1-7e57-4000-8000-000000000001", "10CA1CA1-7E57-4000-8000-000000000001")] // the challenge's spelling
    [InlineData("contoso.onmicrosoft.com", "Contoso.OnMicrosoft.com")]
    public async Task GetTokenAsync_TenantOfTheCredentialsOwnToken_IsAnsweredWithIt(string home, string named)
    {
        var inner = new Odibi.Extensions.Testing.CountingTokenCredential { TenantId = home, TokenLatency = TimeSpan.FromMilliseconds(20) };
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), TimeProvider.System);

        var own = shared.GetTokenAsync(Cae(tenant: null), default).AsTask(); // in flight when the named one comes
        var forTenant = await shared.GetTokenAsync(Cae(named), default);
        var later = await shared.GetTokenAsync(Cae(named), default);

        Assert.Equal((await own).Token, forTenant.Token);
        Assert.Equal(forTenant.Token, later.Token);
        Assert.Null(Assert.Single(inner.Requests).TenantId);
    }

    [Fact]
    public void GetToken_Synchronous_TenantOfTheCredentialsOwnToken_IsAnsweredWithIt()
    {
        var inner = new Odibi.Extensions.Testing.CountingTokenCredential();
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), TimeProvider.System);

        shared.GetToken(Cae(tenant: null), default);
        var forTenant = shared.GetToken(Cae(inner.TenantId), default);

        Assert.Equal(inner.Token, forTenant.Token);
        Assert.Equal(1, inner.Count);
    }

    [Fact]
    public async Task GetTokenAsync_AnotherTenantOrAnotherContext_GoesToTheCredential()
    {
        var inner = new Odibi.Extensions.Testing.CountingTokenCredential { TenantId = "tenant-a" };
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), TimeProvider.System);
        await shared.GetTokenAsync(Cae(tenant: null), default);

        var other = await shared.GetTokenAsync(Cae("tenant-b"), default);
        await shared.GetTokenAsync(new TokenRequestContext(["https://vault.azure.net/.default"], tenantId: "tenant-a", isCaeEnabled: false), default);

        Assert.Equal(Odibi.Extensions.Testing.CountingTokenCredential.TokenFor("tenant-b"), other.Token);
        // CAE off is another token for the credential (MSAL keeps the two apart): not answered with the CAE one.
        Assert.Equal([(null, true), ("tenant-b", true), ("tenant-a", false)], inner.Requests.Select(r => (r.TenantId, r.IsCaeEnabled)));
    }

    [Fact]
    public async Task GetTokenAsync_OwnTokenNamesNoTenant_GoesToTheCredential()
    {
        var inner = new HangsOnceCredential(_time, hangFirst: false); // opaque tokens
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), _time);
        await shared.GetTokenAsync(Cae(tenant: null), default);

        var forTenant = await shared.GetTokenAsync(Cae("tenant-a"), default);

        Assert.Equal("token-2", forTenant.Token);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task GetTokenAsync_OwnTokenFailed_TheNamedTenantIsAskedForAndItsAnswerKept()
    {
        var inner = new FailsWithoutTenant();
        var shared = new SharedTokenCredential(inner, TimeSpan.FromSeconds(30), _time);
        await Assert.ThrowsAsync<Azure.Identity.AuthenticationFailedException>(() => shared.GetTokenAsync(Cae(tenant: null), default).AsTask());

        var forTenant = await shared.GetTokenAsync(Cae("tenant-a"), default);
        await shared.GetTokenAsync(Cae("tenant-a"), default);

        Assert.Equal("token:tenant-a", forTenant.Token);
        Assert.Equal([null, "tenant-a"], inner.Tenants);
    }

    private static TokenRequestContext Cae(string? tenant) =>
        new(["https://vault.azure.net/.default"], parentRequestId: null, claims: null, tenantId: tenant, isCaeEnabled: true);

    /// <summary>Refuses a request without a tenant; answers any other.</summary>
    private sealed class FailsWithoutTenant : TokenCredential
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string?> _tenants = new();

        public IReadOnlyList<string?> Tenants => [.. _tenants];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            _tenants.Enqueue(requestContext.TenantId);
            return requestContext.TenantId is null
                ? throw new Azure.Identity.AuthenticationFailedException("no default tenant")
                : new AccessToken("token:" + requestContext.TenantId, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>A credential whose first acquisition waits until <see cref="Answer"/> (an identity endpoint that hangs once); no real one can be made to hang.</summary>
    private sealed class HangsOnceCredential(TimeProvider time, bool hangFirst) : TokenCredential
    {
        private readonly TaskCompletionSource _firstAnswer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstCall = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task FirstCallStarted => _firstCall.Task;

        public int Calls => Volatile.Read(ref _calls);

        public void Answer() => _firstAnswer.TrySetResult();

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            _firstCall.TrySetResult();
            if (call == 1 && hangFirst)
            {
                await _firstAnswer.Task.ConfigureAwait(false);
            }

            return new AccessToken($"token-{call}", time.GetUtcNow().AddHours(1));
        }
    }

    private sealed class CountingFailures : TokenCredential
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            throw new Azure.Identity.AuthenticationFailedException("ManagedIdentityCredential authentication unavailable.");
        }
    }
}
