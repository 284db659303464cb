using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

public sealed class SecretCacheTests : IAsyncLifetime
{
    private const string Secret = "c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHMtb25seQ==";

    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetAsync_Throttled7TimesThen200_SucceedsWithinFetchTimeout()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        _server.Vault(vaultName).InjectFault("k", LocalKeyVaultFault.Status(429).Times(7)); // no Retry-After, like Key Vault
        await using var provider = Provider(vaultName, [("c", "k")], configure: b =>
            b.Services.AddSingleton(new RetryTiming { ThrottleBase = TimeSpan.FromMilliseconds(20), ThrottleCap = TimeSpan.FromMilliseconds(40) }));

        var key = await provider.GetRequiredService<IAdlsConnections>()["c"].GetStorageKeyAsync();

        Assert.Equal(Secret, key);
        Assert.Equal(7, _server.Requests.Count(r => r.VaultName == vaultName && r.StatusCode == 429));
        Assert.Equal(8, _server.Vault(vaultName).SecretRequestCount);
    }

    [Fact]
    public async Task Subscribe_AConsumerThrows_TheReadAndTheOtherConsumersGetTheValue()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        await using var provider = Provider(vaultName, [("c", "k")], configure: b => b.Services.AddFakeLogging());
        var collector = provider.GetFakeLogCollector();
        var cache = provider.GetRequiredService<SecretCache>();
        var key = new SecretKey(new Uri($"https://{vaultName}.vault.azure.net/"), "k", null);
        var seen = new List<SecretValue>();
        using var broken = cache.Subscribe(key, _ => throw new InvalidOperationException("a consumer's bug"));
        using var good = cache.Subscribe(key, seen.Add);

        var first = await cache.GetAsync(key, default);
        _server.Vault(vaultName).SetSecret("k", "rotated");
        var second = await cache.RefreshAsync(key, default);

        Assert.Equal((Secret, "rotated"), (first, second));
        Assert.Equal([(Secret, 1L), ("rotated", 2L)], seen.Select(v => (v.Value, v.Version)));
        Assert.Equal(2, collector.GetSnapshot().Count(r => r.Id.Name == "SecretConsumerFailed"));
        Assert.All(collector.GetSnapshot(), r => Assert.DoesNotContain(Secret, r.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_ThrottledForever_FailsAtFetchTimeoutSayingThrottled()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        _server.Vault(vaultName).InjectFault("k", LocalKeyVaultFault.Status(429).Always());
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var provider = Provider(vaultName, [("c", "k")], fetchTimeout: TimeSpan.FromSeconds(3), time: time, configure: b =>
            b.Services.AddSingleton(new RetryTiming { ThrottleBase = TimeSpan.FromMilliseconds(100), ThrottleCap = TimeSpan.FromMilliseconds(200) }));
        var gate = provider.GetRequiredService<VaultClients>().Get(new Uri($"https://{vaultName}.vault.azure.net/")).Gate;

        var read = provider.GetRequiredService<IAdlsConnections>()["c"].GetStorageKeyAsync().AsTask();
        // The clock moves only while the read waits at the held gate, never while a request is on the wire: the deadline
        // ends a wait, not a request the vault is answering (on the real clock it could, and the counts then differ by one).
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!read.IsCompleted)
        {
            if (gate.Waiting > 0)
            {
                time.Advance(TimeSpan.FromMilliseconds(50));
            }
            else
            {
                await Task.Delay(1, patience.Token);
            }
        }

        var error = await Assert.ThrowsAsync<TimeoutException>(() => read);
        Assert.Contains("Connection 'c'", error.Message, StringComparison.Ordinal);
        Assert.Contains("within 00:00:03 (Odibi:Prefetch:FetchTimeout, retries included)", error.Message, StringComparison.Ordinal);
        var counted = Regex.Match(error.Message, @"gave up after (\d+) attempts over 3\.0 s, (\d+) of them answered 429 Throttled");
        Assert.True(counted.Success, error.Message);
        int attempts = int.Parse(counted.Groups[1].Value, CultureInfo.InvariantCulture), throttled = int.Parse(counted.Groups[2].Value, CultureInfo.InvariantCulture);
        var answered = _server.Requests.Count(r => r.VaultName == vaultName && r.StatusCode == 429);
        Assert.True(throttled >= 2, $"{throttled} throttled: {error.Message} {string.Join(", ", _server.Requests)}");
        // Every 429 the read received is counted; a probe the gate let go in the step that also reached the deadline is
        // counted as an attempt, and may or may not have reached the vault before it was canceled.
        Assert.InRange(answered, throttled, attempts);
        Assert.InRange(attempts, throttled, throttled + 1);
        Assert.Contains("spread secrets across vaults, stagger host starts, or raise Odibi:Prefetch:FetchTimeout", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("reachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_DroppedTwiceThen200_RetriesAndSucceeds()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        _server.Vault(vaultName).InjectFault("k", LocalKeyVaultFault.DropConnection().Times(2));
        await using var provider = Provider(vaultName, [("c", "k")], configure: b =>
            b.Services.AddSingleton(new RetryTiming { TransientBase = TimeSpan.FromMilliseconds(10), TransientCap = TimeSpan.FromMilliseconds(20) }));

        var key = await provider.GetRequiredService<IAdlsConnections>()["c"].GetStorageKeyAsync();

        Assert.Equal(Secret, key);
        Assert.Equal(3, _server.Vault(vaultName).SecretRequestCount);
    }

    [Theory]
    [InlineData(403)]
    [InlineData(404)]
    public async Task GetAsync_NotTransient_FailsAtOnceWithOneRequest(int status)
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        _server.Vault(vaultName).InjectFault("k", LocalKeyVaultFault.Status(status).Always());
        await using var provider = Provider(vaultName, ("c", "k"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetRequiredService<IAdlsConnections>()["c"].GetStorageKeyAsync().AsTask());

        Assert.Contains($": {status} ", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _server.Vault(vaultName).SecretRequestCount);
    }

    [Fact]
    public async Task PrefetchAsync_SecondSecretQueuedBehindBlackHoledFirst_BothTimeOutAtOneFetchTimeout()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k1", Secret);
        _server.Vault(vaultName).SetSecret("k2", Secret);
        _server.Vault(vaultName).Latency = TimeSpan.FromHours(1); // every request to this vault hangs, the challenge too
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sent = new RequestSentSignal();
        await using var provider = Provider(vaultName, [("c1", "k1"), ("c2", "k2")], time: time, configure: b =>
            b.ConfigureSecretClient(o => o.AddPolicy(sent, HttpPipelinePosition.BeforeTransport)));
        var prefetch = provider.GetRequiredService<IAdlsConnections>().PrefetchAsync();
        await sent.First.WaitAsync(TimeSpan.FromSeconds(20)); // the vault's first request is on the wire

        time.Advance(TimeSpan.FromSeconds(30)); // one FetchTimeout after both were queued

        var report = await prefetch.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, report.Failed);
        Assert.All(report.Results, r => Assert.IsType<TimeoutException>(r.Error));
        Assert.All(report.Results, r => Assert.Contains("(Odibi:Prefetch:FetchTimeout", r.Error!.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_SecretNamesDifferOnlyInCase_OneRead()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("shared-key", Secret);
        await using var provider = Provider(vaultName, [("lower", "shared-key"), ("upper", "Shared-Key")]);
        var connections = provider.GetRequiredService<IAdlsConnections>();

        var report = await connections.PrefetchAsync();
        var upper = await connections["upper"].GetStorageKeyAsync();

        Assert.True(report.AllSucceeded);
        Assert.Equal(Secret, upper);
        Assert.Equal(1, _server.Vault(vaultName).SecretRequestCount);
    }

    [Fact]
    public async Task GetAsync_AfterDisposal_ReportsStopped()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        var provider = Provider(vaultName, ("c", "k"));
        var connection = provider.GetRequiredService<IAdlsConnections>()["c"];
        await provider.DisposeAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => connection.GetStorageKeyAsync().AsTask());

        Assert.Contains("stopped", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("disposed", error.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, _server.Vault(vaultName).SecretRequestCount + _server.Vault(vaultName).ChallengeCount);
    }

    [Fact]
    public async Task GetAsync_FailingSecret_CallersShareTheFailureUntilBackOffPasses()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        _server.Vault(vaultName).InjectFault("k", LocalKeyVaultFault.Status(403).Always());
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var provider = Provider(vaultName, ("c", "k"), time: time);
        var connection = provider.GetRequiredService<IAdlsConnections>()["c"];

        var errors = new List<Exception>();
        for (var i = 0; i < 20; i++)
        {
            errors.Add(await Assert.ThrowsAsync<InvalidOperationException>(() => connection.GetStorageKeyAsync().AsTask()));
        }

        Assert.Equal(1, _server.Vault(vaultName).SecretRequestCount);
        Assert.All(errors, e => Assert.Contains("403", e.Message, StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(1)); // the first back-off has passed: one caller reads again, and fails again
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.GetStorageKeyAsync().AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.GetStorageKeyAsync().AsTask());
        Assert.Equal(2, _server.Vault(vaultName).SecretRequestCount);

        time.Advance(TimeSpan.FromSeconds(1)); // the back-off grew: still within it
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.GetStorageKeyAsync().AsTask());
        Assert.Equal(2, _server.Vault(vaultName).SecretRequestCount);

        _server.ClearFaults();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Secret, await connection.GetStorageKeyAsync());
        Assert.Equal(3, _server.Vault(vaultName).SecretRequestCount);
    }

    private ServiceProvider Provider(string vaultName, (string Connection, string Secret) connection, TimeSpan? fetchTimeout = null, TimeProvider? time = null) =>
        Provider(vaultName, [connection], fetchTimeout, time);

    private ServiceProvider Provider(
        string vaultName,
        (string Connection, string Secret)[] connections,
        TimeSpan? fetchTimeout = null,
        TimeProvider? time = null,
        Action<IOdibiConnectionsBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        var odibi = services.AddOdibiConnections(o =>
        {
            foreach (var (name, secret) in connections)
            {
                o.Connections[name] = new AdlsConnectionOptions
                {
                    Account = $"{name}account", Container = "data", AuthMode = AdlsAuthMode.KeyVault, KeyVaultName = vaultName, SecretName = secret,
                };
            }

            o.Prefetch.FetchTimeout = fetchTimeout ?? o.Prefetch.FetchTimeout;
        }).UseLocalKeyVault(_server);
        configure?.Invoke(odibi);
        return services.BuildServiceProvider();
    }

    /// <summary>Completes <see cref="First"/> when the first request goes on the wire.</summary>
    private sealed class RequestSentSignal : HttpPipelinePolicy
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task First => _first.Task;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            _first.TrySetResult();
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            _first.TrySetResult();
            return ProcessNextAsync(message, pipeline);
        }
    }
}
