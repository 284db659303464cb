using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.ConnectionEvents;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Hosting;

/// <summary>
/// The one lifecycle every path after startup goes through: retries, late successes, health probes and refreshes move a
/// connection only once every step its settings ask for has passed. Statuses are recorded through StatusChanged, never sampled.
/// </summary>
public sealed class ConnectionLifecycleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHMtb25seQ==";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [SkippableFact]
    public async Task Retry_DegradeVerifyStorageContainerMissing_NeverReadyAndEachRetryAsksVaultAndStorage()
    {
        var url = await Azurite.RequireAsync();
        _server.Vault(_vault).SetSecret("lake-key", TestConfiguration.AzuriteKey);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var missing = Azurite.UniqueContainer("gone");
        using var host = Azurite.Build(OdibiJson(
            $"\"lake\": {Azurite.KeyVaultConnection(url, missing, _vault, "lake-key")}",
            prefetch: "\"Policy\": \"Degrade\", \"VerifyStorage\": true"), _server, b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        var lake = host.Services.GetRequiredService<IAdlsConnections>()["lake"];
        var transitions = Record(lake);

        await host.StartAsync();
        for (var retry = 1; retry <= 3; retry++)
        {
            var reads = _server.Vault(_vault).SecretRequestCount;
            await RetryWaits.StartedAsync(host.Services, retry);
            time.Advance(TimeSpan.FromSeconds(1 << (retry - 1))); // each retry comes within 1 s, 2 s, 4 s (jittered down)
            await WaitUntil(() => _server.Vault(_vault).SecretRequestCount > reads); // the retry read the vault, not a cached failure
        }

        await RetryWaits.StartedAsync(host.Services, 4);
        await host.StopAsync();

        Assert.Equal([ConnectionStatus.Failed], transitions); // never Ready in between
        Assert.Equal(ConnectionStatus.Failed, lake.Status);
        Assert.Contains($"could not open container '{missing}'", lake.LastResult!.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("404 ContainerNotFound", lake.LastResult.Error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task LateSuccess_VerifyStorageContainerMissing_NeverReadyAndReportsTheStorageError()
    {
        var url = await Azurite.RequireAsync();
        _server.Vault(_vault).SetSecret("lake-key", TestConfiguration.AzuriteKey);
        _server.Vault(_vault).Latency = TimeSpan.FromMilliseconds(600);
        var missing = Azurite.UniqueContainer("gone");
        using var host = Azurite.Build(OdibiJson(
            $"\"lake\": {Azurite.KeyVaultConnection(url, missing, _vault, "lake-key", optional: true)}",
            prefetch: "\"VerifyStorage\": true, \"StartupTimeout\": \"00:00:00.200\""), _server, output: output);
        var lake = host.Services.GetRequiredService<IAdlsConnections>()["lake"];
        var transitions = Record(lake);

        await host.StartAsync(); // FailFast, and lake is optional: the host starts while the secret is still on its way
        var atStart = lake.LastResult!.Error!.Message;
        await WaitUntil(() => lake.LastResult?.Error?.Message.Contains("could not open container", StringComparison.Ordinal) == true);
        await host.StopAsync();

        Assert.Contains("did not finish within 00:00:00.2000000 (Odibi:Prefetch:StartupTimeout)", atStart, StringComparison.Ordinal);
        Assert.Equal([ConnectionStatus.Failed], transitions); // the late secret alone did not make it ready
        Assert.Contains("404 ContainerNotFound", lake.LastResult!.Error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "ConnectionReadyLate");
    }

    [SkippableTheory]
    [InlineData("KeyVault", true)]
    [InlineData("DirectKey", false)] // nothing to fetch at startup, no VerifyStorage: only the health probe checks storage
    public async Task HealthProbe_ContainerDeletedAfterStart_FailsTheConnectionAndOnlyARetryThatOpensItHeals(string mode, bool verifyAtStartup)
    {
        var url = await Azurite.RequireAsync();
        _server.Vault(_vault).SetSecret("lake-key", TestConfiguration.AzuriteKey);
        var container = await Azurite.CreateContainerAsync(url);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var connection = mode == "KeyVault"
            ? Azurite.KeyVaultConnection(url, container, _vault, "lake-key")
            : $$"""{ "Account": "{{Azurite.Account}}", "Container": "{{container}}", "BlobServiceUri": "{{url}}", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}" }""";
        using var host = Azurite.Build(OdibiJson($"\"lake\": {connection}", prefetch: $"\"VerifyStorage\": {(verifyAtStartup ? "true" : "false")}"), _server, b =>
            {
                b.Services.AddSingleton<TimeProvider>(time);
                b.Services.AddHealthChecks().AddOdibiConnections(verifyStorage: true);
            }, output: output);
        var lake = host.Services.GetRequiredService<IAdlsConnections>()["lake"];
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await host.StartAsync();
        var transitions = Record(lake);

        await Azurite.Admin(url).DeleteBlobContainerAsync(container);
        var broken = await health.CheckHealthAsync();
        var statusAfterProbe = lake.Status;
        await RetryWaits.StartedAsync(host.Services, 1);
        time.Advance(TimeSpan.FromSeconds(1)); // a retry while the container is still missing: it checks storage, so it stays Failed
        await RetryWaits.StartedAsync(host.Services, 2);
        var afterFirstRetry = lake.Status;
        await Azurite.Admin(url).CreateBlobContainerAsync(container);
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntil(() => lake.Status == ConnectionStatus.Ready);
        var healed = await health.CheckHealthAsync();
        await host.StopAsync();

        Assert.Equal(HealthStatus.Unhealthy, broken.Status);
        Assert.Equal(ConnectionStatus.Failed, statusAfterProbe); // the probe's finding is the connection's status, for everyone
        Assert.Contains("lake (storage check failed)", broken.Entries["odibi-connections"].Description, StringComparison.Ordinal);
        Assert.Equal(ConnectionStatus.Failed, afterFirstRetry);
        Assert.Equal(HealthStatus.Healthy, healed.Status);
        Assert.Equal([ConnectionStatus.Failed, ConnectionStatus.Ready], transitions);
    }

    [SkippableFact]
    public async Task Retry_AfterAFailedProbeAVaultFailureInBetween_StillChecksStorageBeforeReady()
    {
        var url = await Azurite.RequireAsync();
        _server.Vault(_vault).SetSecret("lake-key", TestConfiguration.AzuriteKey);
        var container = await Azurite.CreateContainerAsync(url);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Azurite.Build(OdibiJson($"\"lake\": {Azurite.KeyVaultConnection(url, container, _vault, "lake-key")}"), _server, b =>
            {
                b.Services.AddSingleton<TimeProvider>(time);
                b.Services.AddHealthChecks().AddOdibiConnections(verifyStorage: true); // only the probe checks storage
            }, output: output);
        var lake = host.Services.GetRequiredService<IAdlsConnections>()["lake"];
        await host.StartAsync();
        var transitions = Record(lake);

        await Azurite.Admin(url).DeleteBlobContainerAsync(container);
        await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(); // Failed: storage
        _server.Vault(_vault).InjectFault("lake-key", LocalKeyVaultFault.Status(403).Once()); // the first retry fails at the vault
        await RetryWaits.StartedAsync(host.Services, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => lake.LastResult?.Error?.Message.Contains("403", StringComparison.Ordinal) == true);
        for (var retry = 2; retry <= 3 && lake.Status != ConnectionStatus.Ready; retry++)
        {
            await RetryWaits.StartedAsync(host.Services, retry);
            time.Advance(TimeSpan.FromSeconds(60)); // the vault answers now; the container is still missing
        }

        await RetryWaits.StartedAsync(host.Services, 4);
        var beforeRecreate = lake.Status;
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Failed, beforeRecreate);
        Assert.Equal([ConnectionStatus.Failed], transitions); // never Ready on a secret read alone
        Assert.Contains("could not open container", lake.LastResult!.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_CredentialFailsForEightSecrets_AskedOnceAndEveryConnectionNamesIt()
    {
        var connections = string.Join(", ", Enumerable.Range(1, 8).Select(i =>
        {
            _server.Vault(_vault).SetSecret($"key-{i}", Secret);
            return $"\"c{i}\": {KeyVaultConnection($"acct00{i}", _vault, $"key-{i}")}";
        }));
        var credential = new FailingCredential();
        using var host = Build(OdibiJson(connections, prefetch: "\"FetchTimeout\": \"00:00:30\""), _server,
            b => b.Services.AddOdibiConnections().UseCredential(credential), output: output);

        var start = host.StartAsync();
        await credential.Called.WaitAsync(Patience);
        credential.Fail(); // a misconfigured chain answers after its slow discovery
        var exception = await Assert.ThrowsAsync<OdibiPrefetchException>(() => start.WaitAsync(Patience));

        Assert.Equal(1, credential.Calls);
        Assert.Equal(8, exception.Report.Failed);
        Assert.All(exception.Report.Results, r =>
        {
            Assert.Contains("AuthenticationFailedException: DefaultAzureCredential failed to retrieve a token", r.Error!.Message, StringComparison.Ordinal);
            Assert.Contains("Fix: check the credential", r.Error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Retry_HasItsOwnLogEventsActivityAndMetricAndUpdatesLastResult()
    {
        _server.Vault(_vault).SetSecret("bronze-key", Secret);
        _server.Vault(_vault).InjectFault("bronze-key", LocalKeyVaultFault.Status(403).Times(2));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var activities = new ConcurrentBag<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Odibi.Extensions",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => activities.Add(activity.OperationName),
        };
        ActivitySource.AddActivityListener(listener);
        using var host = Build(OdibiJson($"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}", prefetch: "\"Policy\": \"Degrade\""),
            _server, b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        var meters = host.Services.GetRequiredService<IMeterFactory>();
        using var prefetches = new MetricCollector<double>(meters, "Odibi.Extensions", "odibi.prefetch.duration");
        using var retries = new MetricCollector<double>(meters, "Odibi.Extensions", "odibi.retry.duration");
        var bronze = host.Services.GetRequiredService<IAdlsConnections>()["bronze"];
        var ready = Reaches(bronze, ConnectionStatus.Ready);

        await host.StartAsync();
        await RetryWaits.StartedAsync(host.Services, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        await RetryWaits.StartedAsync(host.Services, 2);
        time.Advance(TimeSpan.FromSeconds(2));
        await ready.WaitAsync(Patience);
        await host.StopAsync();

        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Single(logs, r => r.Id.Name == "PrefetchStarting");
        Assert.Single(logs, r => r.Id.Name == "PrefetchCompleted");
        Assert.Equal(2, logs.Count(r => r.Id.Name == "ConnectionRetrying"));
        Assert.Single(logs, r => r.Id.Name == "ConnectionStillFailing");
        Assert.Single(logs, r => r.Id.Name == "ConnectionRecovered" && r.Message.Contains("'bronze'", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, r => r.Id.Name == "ConnectionReady"); // that one is startup's
        Assert.Single(prefetches.GetMeasurementSnapshot());
        Assert.Equal(2, retries.GetMeasurementSnapshot().Count);
        Assert.Equal(1, activities.Count(a => a == "odibi.prefetch"));
        Assert.Equal(2, activities.Count(a => a == "odibi.retry"));

        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        Assert.False(connections.LastPrefetch!.AllSucceeded); // what startup saw
        Assert.True(bronze.LastResult!.Success); // what is true now
        Assert.Null(bronze.LastResult.Error);
    }

    [Fact]
    public async Task StatusChanged_HandlerThrows_IsLoggedAndTheOthersAndTheChangeGoOn()
    {
        _server.Vault(_vault).SetSecret("bronze-key", Secret);
        using var host = Build(OdibiJson($"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}"), _server, output: output);
        var bronze = host.Services.GetRequiredService<IAdlsConnections>()["bronze"];
        var seen = new List<ConnectionStatus>();
        bronze.StatusChanged += (_, _) => throw new InvalidOperationException("a subscriber's bug");
        bronze.StatusChanged += (_, change) => seen.Add(change.Status);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Ready, bronze.Status);
        Assert.Equal([ConnectionStatus.Ready], seen);
        var error = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "StatusChangedHandlerFailed");
        Assert.Equal("a subscriber's bug", error.Exception!.Message);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(10, patience.Token);
        }
    }

    /// <summary>A credential that, like a misconfigured DefaultAzureCredential chain, answers only after a while, and with a failure.</summary>
    private sealed class FailingCredential : TokenCredential
    {
        private readonly TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _fail = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task Called => _called.Task;

        public int Calls => Volatile.Read(ref _calls);

        public void Fail() => _fail.TrySetResult();

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            _called.TrySetResult();
            await _fail.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            throw new AuthenticationFailedException("DefaultAzureCredential failed to retrieve a token from the included credentials.");
        }
    }
}
