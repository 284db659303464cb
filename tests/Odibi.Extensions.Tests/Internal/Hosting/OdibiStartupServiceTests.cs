using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.ConnectionEvents;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Hosting;

public sealed class OdibiStartupServiceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHMtb25seQ==";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
        _server.Vault(_vault).SetSecret("bronze-key", Secret);
        _server.Vault(_vault).SetSecret("silver-key", Secret + "2");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task StartAsync_FailFastWithRequiredFailure_ThrowsListingEveryFailureAndDoesNotStart()
    {
        _server.Vault(_vault).InjectFault("silver-key", LocalKeyVaultFault.Status(403).Always());
        var gold = $"\"gold\": {KeyVaultConnection("gold001", _vault, "gold-key")}"; // not in the vault: 404
        using var host = Build(Connections(gold), _server, output: output);

        var exception = await Assert.ThrowsAsync<OdibiPrefetchException>(() => host.StartAsync());

        Assert.Equal(2, exception.Report.Failed);
        Assert.Contains("2 of 3 Odibi connections could not be prepared (Odibi:Prefetch:Policy is FailFast)", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"Connection 'silver' (account silver001) could not read secret 'silver-key' from https://{_vault}.vault.azure.net/: 403", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"Connection 'gold' (account gold001) could not read secret 'gold-key' from https://{_vault}.vault.azure.net/: 404 SecretNotFound", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, exception.ToString(), StringComparison.Ordinal);
        Assert.Equal(ConnectionStatus.Ready, host.Services.GetRequiredService<IAdlsConnections>()["bronze"].Status);
        var lines = exception.Message.Split(Environment.NewLine);
        Assert.True(lines.Length == 4, exception.Message); // heading, one line per failed connection, the fix
        Assert.Equal(["  - Connection 'gold'", "  - Connection 'silver'"], lines[1..3].Select(l => l[..l.IndexOf("' ", StringComparison.Ordinal)] + "'").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task StartAsync_FailFast_RunsBeforeOtherHostedServicesStart()
    {
        _server.Vault(_vault).InjectFault("silver-key", LocalKeyVaultFault.Status(403).Always());
        var probe = new StartProbe();
        using var host = Build(Connections(), _server, b => b.Services.AddHostedService(_ => probe), output: output);

        await Assert.ThrowsAsync<OdibiPrefetchException>(() => host.StartAsync());

        Assert.False(probe.Started);
    }

    [Fact]
    public async Task StartAsync_FailFastSuccess_OtherServicesSeeReadyConnections()
    {
        var probe = new StartProbe();
        using var host = Build(Connections(), _server, b => b.Services.AddHostedService(sp =>
        {
            probe.Connections = sp.GetRequiredService<IAdlsConnections>();
            return probe;
        }), output: output);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal([ConnectionStatus.Ready, ConnectionStatus.Ready], probe.StatusesAtStart);
    }

    [Fact]
    public async Task StartAsync_FailFastWithOnlyOptionalFailure_Starts()
    {
        _server.Vault(_vault).InjectFault("silver-key", LocalKeyVaultFault.Status(403).Always());
        using var host = Build(OdibiJson(
            $"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}, \"silver\": {KeyVaultConnection("silver001", _vault, "silver-key", optional: true)}"), _server, output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Failed, connections["silver"].Status);
        Assert.Equal(ConnectionStatus.Ready, connections["bronze"].Status);
        Assert.Equal(1, connections.LastPrefetch!.Failed);
    }

    [Fact]
    public async Task StartAsync_Degrade_StartsAndLogsWarningWithoutSecret()
    {
        _server.Vault(_vault).InjectFault("silver-key", LocalKeyVaultFault.Status(403).Always());
        using var host = Build(Connections(policy: "Degrade"), _server, output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Failed, connections["silver"].Status);
        var warning = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "ConnectionFailed");
        Assert.Contains("'silver'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("403", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Background_ReturnsBeforePrefetchEnds()
    {
        _server.Vault(_vault).Latency = TimeSpan.FromSeconds(2);
        using var host = Build(Connections(policy: "Background"), _server, output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        var statusAtStart = connections["bronze"].Status;
        var lastPrefetchAtStart = connections.LastPrefetch;
        await WaitUntil(() => connections.LastPrefetch is not null);
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Pending, statusAtStart);
        Assert.Null(lastPrefetchAtStart);
        Assert.True(connections.LastPrefetch!.AllSucceeded);
        Assert.Equal(ConnectionStatus.Ready, connections["bronze"].Status);
    }

    [Fact]
    public async Task StartAsync_ShutdownDuringHungPrefetch_StopsPromptly()
    {
        _server.Vault(_vault).InjectFault("bronze-key", LocalKeyVaultFault.Hang().Always());
        using var host = Build(Connections(fetchTimeout: "00:05:00"), _server, output: output);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        var start = host.StartAsync();
        await WaitUntil(() => _server.Requests.Any(r => r.VaultName == _vault && r.SecretName == "bronze-key" && r.HasToken));
        lifetime.StopApplication();

        // Far below the 5-minute fetch timeout: only the shutdown can have ended it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start.WaitAsync(Patience));
    }

    [Fact]
    public async Task Refresh_SecretRotated_NewValueServedAfterInterval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Build(Connections(refresh: "\"Interval\": \"01:00:00\""), _server, b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        await host.StartAsync();
        var bronze = host.Services.GetRequiredService<IAdlsConnections>()["bronze"];
        Assert.Equal(Secret, await bronze.GetStorageKeyAsync());

        _server.Vault(_vault).SetSecret("bronze-key", "rotated-key-value");
        await WaitUntil(async () =>
        {
            time.Advance(TimeSpan.FromHours(1));
            return await bronze.GetStorageKeyAsync() == "rotated-key-value";
        });

        Assert.Equal(ConnectionStatus.Ready, bronze.Status);

        _server.Vault(_vault).InjectFault("bronze-key", LocalKeyVaultFault.Status(500).Always());
        await WaitUntil(() =>
        {
            time.Advance(TimeSpan.FromHours(1));
            return bronze.Status == ConnectionStatus.Degraded;
        });

        Assert.Equal("rotated-key-value", await bronze.GetStorageKeyAsync());
        Assert.Contains(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "RefreshFailed" && r.Message.Contains("'bronze'", StringComparison.Ordinal));

        _server.Vault(_vault).ClearFaults();
        await WaitUntil(() =>
        {
            time.Advance(TimeSpan.FromHours(1));
            return bronze.Status == ConnectionStatus.Ready;
        });
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_SecretArrivesAfterStartupTimeout_ConnectionBecomesReadyAndHealthy()
    {
        var slow = UniqueVaultName("slow");
        _server.Vault(slow).SetSecret("silver-key", Secret);
        _server.Vault(slow).Latency = TimeSpan.FromSeconds(1);
        using var host = Build(OdibiJson(
            $"\"silver\": {KeyVaultConnection("silver001", slow, "silver-key", optional: true)}",
            prefetch: "\"StartupTimeout\": \"00:00:00.200\""), _server, b => b.Services.AddHealthChecks().AddOdibiConnections(), output: output);
        var silver = host.Services.GetRequiredService<IAdlsConnections>()["silver"];
        var logs = host.Services.GetFakeLogCollector();
        var ready = new TaskCompletionSource<IReadOnlyList<FakeLogRecord>>(TaskCreationOptions.RunContinuationsAsynchronously);
        silver.StatusChanged += (_, change) =>
        {
            if (change.Status == ConnectionStatus.Ready)
            {
                ready.TrySetResult(logs.GetSnapshot()); // the log as it stands when the status changes, on the thread that changed it
            }
        };

        await host.StartAsync(); // FailFast, and silver is optional: no background retry, only the late read can heal it
        var statusAtStart = silver.Status;
        var logsWhenReady = await ready.Task.WaitAsync(Patience);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Failed, statusAtStart);
        Assert.Equal(HealthStatus.Healthy, health.Status);
        // Logged before the status changed, so whoever sees Ready finds the line.
        Assert.Contains(logsWhenReady, r => r.Id.Name == "ConnectionReadyLate" && r.Message.Contains("'silver'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Degrade")]
    [InlineData("Background")]
    public async Task StartAsync_RequiredConnectionFailed_RetriedInBackgroundUntilReady(string policy)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _server.Vault(_vault).InjectFault("silver-key", LocalKeyVaultFault.Status(403).Times(2));
        using var host = Build(Connections(policy: policy), _server, b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        var connections = host.Services.GetRequiredService<AdlsConnections>();
        var failed = Reaches(connections["silver"], ConnectionStatus.Failed);
        var ready = Reaches(connections["silver"], ConnectionStatus.Ready);

        await host.StartAsync();
        await failed.WaitAsync(Patience);
        await RetryWaits.StartedAsync(host.Services, 1);
        time.Advance(TimeSpan.FromSeconds(1)); // the first retry comes within 1 s (jittered); it is refused again
        await RetryWaits.StartedAsync(host.Services, 2);
        time.Advance(TimeSpan.FromSeconds(2)); // the second within 2 s; the vault answers now
        await ready.WaitAsync(Patience);
        await host.StopAsync();

        Assert.Equal(3, _server.Requests.Count(r => r.VaultName == _vault && r.SecretName == "silver-key" && r.HasToken));
        Assert.Equal(ConnectionStatus.Ready, connections["bronze"].Status);
    }

    [Fact]
    public async Task Dispose_WithoutStopAsync_StopsTheRefreshLoop()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var host = Build(Connections(refresh: "\"Interval\": \"01:00:00\""), _server, b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        await host.StartAsync();
        var service = host.Services.GetRequiredService<OdibiStartupService>();
        var reads = _server.Requests.Count(r => r.VaultName == _vault && r.HasToken);

        host.Dispose();
        time.Advance(TimeSpan.FromHours(1));

        await service.WhenBackgroundWorkEndedAsync().WaitAsync(Patience);
        Assert.Equal(reads, _server.Requests.Count(r => r.VaultName == _vault && r.HasToken));
    }

    [Fact]
    public async Task StartAsync_FetchTimeoutAboveStartupTimeout_WarnsNamingBoth()
    {
        using var host = Build(OdibiJson(
            $"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}",
            prefetch: "\"FetchTimeout\": \"00:02:00\", \"StartupTimeout\": \"00:01:00\""), _server, output: output);

        await host.StartAsync();
        await host.StopAsync();

        var warning = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "FetchTimeoutAboveStartupTimeout");
        Assert.Contains("Odibi:Prefetch:FetchTimeout (00:02:00) is longer than Odibi:Prefetch:StartupTimeout (00:01:00)", warning.Message, StringComparison.Ordinal);
    }

    private string Connections(string extra = "", string policy = "FailFast", string fetchTimeout = "00:00:10", string refresh = "") => OdibiJson(
        $"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}, \"silver\": {KeyVaultConnection("silver001", _vault, "silver-key")}"
            + (extra.Length > 0 ? "," + extra : ""),
        prefetch: $"\"Policy\": \"{policy}\", \"FetchTimeout\": \"{fetchTimeout}\"",
        refresh: refresh);

    private static Task WaitUntil(Func<bool> condition) => WaitUntil(() => Task.FromResult(condition()));

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            await Task.Delay(20, patience.Token);
        }
    }

    private sealed class StartProbe : IHostedService
    {
        public bool Started { get; private set; }

        public IAdlsConnections? Connections { get; set; }

        public List<ConnectionStatus> StatusesAtStart { get; } = [];

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            StatusesAtStart.AddRange(Connections?.Select(c => c.Status) ?? []);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
