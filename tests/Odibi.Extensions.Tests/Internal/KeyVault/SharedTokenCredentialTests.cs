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
