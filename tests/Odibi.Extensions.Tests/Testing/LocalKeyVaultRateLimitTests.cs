using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Testing.LocalKeyVaultClients;

namespace Odibi.Extensions.Tests.Testing;

/// <summary>The per-vault rate limit, through the real <see cref="SecretClient"/> on a fake clock.</summary>
public sealed class LocalKeyVaultRateLimitTests : IAsyncLifetime
{
    private const string SecretName = "db-password";
    private const string ThrottledBody = """{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"}}""";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private LocalKeyVault _server = null!;

    public LocalKeyVaultRateLimitTests()
    {
        TestThreadPool.EnsureMinThreads();
    }

    public async Task InitializeAsync()
    {
        _server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { TimeProvider = _time });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task GetSecretAsync_LimitExceeded_Returns429ThrottledAsTheServiceDoesWithoutRetryAfter()
    {
        SecretClient client = NewVault(new LocalKeyVaultRateLimit(2, TimeSpan.FromSeconds(10)), out _);

        await client.GetSecretAsync(SecretName);
        await client.GetSecretAsync(SecretName);
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(429, exception.Status);
        Assert.Equal("Throttled", exception.ErrorCode);
        Response response = exception.GetRawResponse()!;
        Assert.Equal(ThrottledBody, response.Content.ToString());
        Assert.True(response.Headers.TryGetValue("Content-Type", out string? contentType));
        Assert.Equal("application/json; charset=utf-8", contentType);
        Assert.False(response.Headers.TryGetValue("Retry-After", out _));
    }

    [Fact]
    public async Task GetSecretAsync_WindowOfTenSeconds_AdmitsAgainOnlyWhenOldestRequestLeavesIt()
    {
        SecretClient client = NewVault(new LocalKeyVaultRateLimit(2, TimeSpan.FromSeconds(10)), out string vaultName);

        await client.GetSecretAsync(SecretName);                 // t = 0
        _time.Advance(TimeSpan.FromSeconds(6));
        await client.GetSecretAsync(SecretName);                 // t = 6
        _time.Advance(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName)); // t = 9: 0 and 6 in the window
        _time.Advance(TimeSpan.FromSeconds(1));
        await client.GetSecretAsync(SecretName);                 // t = 10: the request of t = 0 has left
        _time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName)); // t = 11: sliding, not a fixed window

        Assert.Equal([200, 200, 429, 200, 429], TokenRequests(vaultName).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task GetSecretAsync_SendRetryAfter_SendsSecondsUntilWindowAdmits()
    {
        var limit = new LocalKeyVaultRateLimit(2, TimeSpan.FromSeconds(10)) { SendRetryAfter = true };
        SecretClient client = NewVault(limit, out _);

        await client.GetSecretAsync(SecretName);                 // t = 0
        _time.Advance(TimeSpan.FromSeconds(3));
        await client.GetSecretAsync(SecretName);                 // t = 3
        _time.Advance(TimeSpan.FromSeconds(1.5));
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName)); // t = 4.5
        _time.Advance(TimeSpan.FromSeconds(5.5));
        KeyVaultSecret admitted = await client.GetSecretAsync(SecretName);  // t = 10

        Assert.True(exception.GetRawResponse()!.Headers.TryGetValue("Retry-After", out string? retryAfter));
        Assert.Equal("6", retryAfter); // 5.5 s until t = 10, rounded up
        Assert.Equal("value", admitted.Value);
    }

    [Fact]
    public async Task GetSecretAsync_ChallengesByDefault_DoNotCount()
    {
        SecretClient client = NewVault(new LocalKeyVaultRateLimit(1, TimeSpan.FromSeconds(10)), out string vaultName);

        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);

        Assert.Equal("value", secret.Value);
        Assert.Equal([401, 200], _server.Requests.Where(r => r.VaultName == vaultName).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task GetSecretAsync_CountChallenges_ChallengeUsesUpTheWindow()
    {
        var limit = new LocalKeyVaultRateLimit(1, TimeSpan.FromSeconds(10)) { CountChallenges = true };
        SecretClient client = NewVault(limit, out string vaultName);

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(429, exception.Status);
        Assert.Equal([401, 429], _server.Requests.Where(r => r.VaultName == vaultName).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task RateLimit_OnServer_AppliesToEachVaultSeparatelyAndVaultOverrides()
    {
        _server.RateLimit = new LocalKeyVaultRateLimit(1, TimeSpan.FromMinutes(1));
        SecretClient first = NewVault(rateLimit: null, out string firstName);
        SecretClient second = NewVault(rateLimit: null, out string secondName);
        SecretClient unlimited = NewVault(new LocalKeyVaultRateLimit(100, TimeSpan.FromSeconds(1)), out string unlimitedName);

        await first.GetSecretAsync(SecretName);
        await second.GetSecretAsync(SecretName);
        await Assert.ThrowsAsync<RequestFailedException>(() => first.GetSecretAsync(SecretName));
        await unlimited.GetSecretAsync(SecretName);
        await unlimited.GetSecretAsync(SecretName);

        Assert.Equal([200, 429], TokenRequests(firstName).Select(r => r.StatusCode));
        Assert.Equal([200], TokenRequests(secondName).Select(r => r.StatusCode));
        Assert.Equal([200, 200], TokenRequests(unlimitedName).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task ResetCounters_AfterThrottling_EmptiesTheWindow()
    {
        SecretClient client = NewVault(new LocalKeyVaultRateLimit(1, TimeSpan.FromMinutes(1)), out _);
        await client.GetSecretAsync(SecretName);
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        _server.ResetCounters();

        Assert.Equal("value", (await client.GetSecretAsync(SecretName)).Value.Value);
    }

    [Fact]
    public async Task InjectFault_Status429_AnswersWithTheServiceBody()
    {
        SecretClient client = NewVault(rateLimit: null, out string vaultName);
        _server.Vault(vaultName).InjectFault(SecretName, LocalKeyVaultFault.Status(429).Once());

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(ThrottledBody, exception.GetRawResponse()!.Content.ToString());
        Assert.False(exception.GetRawResponse()!.Headers.TryGetValue("Retry-After", out _));
    }

    [Fact]
    public async Task RequestsPerSecond_Shorthand_IsOneSecondWindowWithoutRetryAfter()
    {
        LocalVault vault = _server.Vault(UniqueVaultName("rps"));
        await using LocalKeyVault configured = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { RequestsPerSecond = 7 });

        vault.RequestsPerSecond = 5;
        LocalKeyVaultRateLimit limit = vault.RateLimit!;
        _server.RateLimit = LocalKeyVaultRateLimit.KeyVaultService;

        Assert.Equal(5, limit.Permits);
        Assert.Equal(TimeSpan.FromSeconds(1), limit.Window);
        Assert.False(limit.SendRetryAfter);
        Assert.False(limit.CountChallenges);
        Assert.Equal(5, vault.RequestsPerSecond);
        Assert.Null(_server.RequestsPerSecond); // a 10-second window has no per-second shorthand
        Assert.Equal(4000, _server.RateLimit.Permits);
        Assert.Equal(TimeSpan.FromSeconds(10), _server.RateLimit.Window);
        Assert.Equal(7, configured.RequestsPerSecond);
        Assert.Equal(7, configured.RateLimit!.Permits);
        vault.RequestsPerSecond = null;
        Assert.Null(vault.RateLimit);
    }

    [Fact]
    public void LocalKeyVaultRateLimit_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalKeyVaultRateLimit(0, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalKeyVaultRateLimit(1, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalKeyVaultRateLimit.PerSecond(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _server.RequestsPerSecond = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LocalKeyVaultOptions { RequestsPerSecond = 0 });
        Assert.Equal("4000 per 10s", LocalKeyVaultRateLimit.KeyVaultService.ToString());
        Assert.Equal("3 per 1s, Retry-After", new LocalKeyVaultRateLimit(3, TimeSpan.FromSeconds(1)) { SendRetryAfter = true }.ToString());
    }

    private SecretClient NewVault(LocalKeyVaultRateLimit? rateLimit, out string vaultName)
    {
        vaultName = UniqueVaultName("rate");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.RateLimit = rateLimit;
        return _server.CreateClient(vaultName, FastOptions(maxRetries: 0));
    }

    private LocalKeyVaultRequest[] TokenRequests(string vaultName) =>
        [.. _server.Requests.Where(r => r.VaultName == vaultName && r.HasToken)];
}
