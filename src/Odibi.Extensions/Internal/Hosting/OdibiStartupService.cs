using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.References;

namespace Odibi.Extensions.Internal.Hosting;

/// <summary>
/// Prefetches the connections' secrets in <see cref="StartingAsync"/>, before other hosted services (and the web
/// server) start, and applies the prefetch policy. After that, for the life of the host, it retries every failed
/// connection (optional ones too: whatever made it fail, at startup or later) and runs the background refresh.
/// Stopping the host, or disposing it without stopping, ends every background loop and check.
/// </summary>
internal sealed class OdibiStartupService(
    AdlsConnections connections,
    ConnectionLifecycle lifecycle,
    IOptions<OdibiOptions> options,
    TimeProvider time,
    ILogger<OdibiStartupService> logger,
    IHostEnvironment? environment = null,
    AzureEventSourceLogForwarder? azureLogs = null,
    OdibiKeyedConnections? keyed = null,
    IConfiguration? configuration = null,
    ILoggerFactory? loggerFactory = null) : IHostedLifecycleService, IDisposable
{
    /// <summary>The first wait before a failed connection is retried.</summary>
    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two retries of a failed connection.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);

    // Canceled by StopAsync or Dispose; never disposed (it has no timer): hosts may stop a service after disposing the container.
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _background = Task.CompletedTask;
    private Task _refresh = Task.CompletedTask;
    private Task _retry = Task.CompletedTask;

    /// <summary>Gets a value indicating whether a background prefetch is still running.</summary>
    public bool BackgroundPrefetchRunning => !_background.IsCompleted;

    /// <summary>Returns a task that ends when every background loop (prefetch, retry, refresh) has ended.</summary>
    internal async Task WhenBackgroundWorkEndedAsync()
    {
        await _background.ConfigureAwait(false);
        await _refresh.ConfigureAwait(false);
        await _retry.ConfigureAwait(false);
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (loggerFactory is not null)
        {
            KeyVaultEngine.AttachLogging(configuration, loggerFactory); // Key Vault configuration sources log from now on
        }

        LogNames();
        if (environment?.IsProduction() == true)
        {
            foreach (var connection in connections.Where(c => c.AuthMode == AdlsAuthMode.DirectKey))
            {
                Log.DirectKeyInProduction(logger, connection.Name);
            }
        }

        var prefetch = options.Value.Prefetch;
        if (prefetch.FetchTimeout > prefetch.StartupTimeout)
        {
            Log.FetchTimeoutAboveStartupTimeout(logger, options.Value.ConfigurationPath, prefetch.FetchTimeout, prefetch.StartupTimeout);
        }

        // Whatever fails later (a refresh, a health probe) is retried too, even when startup had nothing to fetch.
        foreach (var connection in connections)
        {
            connection.StatusChanged += OnStatusChanged;
        }

        if (!connections.NeedsPrefetch)
        {
            StartRetryLoop();
            return;
        }

        // The Azure SDK's event-source logs (Azure.Core, Azure.Identity, Azure.Security.KeyVault.Secrets) reach the app's
        // logging at the levels the app enables; the SDK logs no bodies and redacts headers and query values it does not know.
        azureLogs?.Start();

        if (prefetch.Policy == PrefetchPolicy.Background)
        {
            _background = Task.Run(() => BackgroundPrefetchAsync(_stopping.Token), CancellationToken.None);
            StartRetryLoop();
            return;
        }

        var report = await connections.PrefetchAsync(cancellationToken).ConfigureAwait(false);
        var required = report.Results.Where(r => !r.Success && !connections[r.ConnectionName].Optional).ToList();
        if (prefetch.Policy == PrefetchPolicy.FailFast && required.Count > 0)
        {
            lifecycle.Stop(); // the host does not start: the late checks end too
            throw new OdibiPrefetchException(report);
        }

        StartRetryLoop();
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Names the connections, so a mistyped name (keyed services answer null for it) can be spotted in the log.</summary>
    private void LogNames()
    {
        Log.ConnectionsConfigured(logger, string.Join(", ", connections.Select(c => c.Name)));
        foreach (var connection in connections.Where(c => keyed?.Names.Contains(c.Name) != true))
        {
            Log.ConnectionNotKeyed(logger, connection.Name);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Refresh.Interval is { } interval && connections.Any(c => c.HasKeyVaultSecret))
        {
            _refresh = Task.Run(() => RefreshLoopAsync(interval, _stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        Stop();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Stop();
        await WhenBackgroundWorkEndedAsync().WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ends the background loops of a host disposed without <see cref="StopAsync"/>.</summary>
    public void Dispose() => Stop();

    private void Stop()
    {
        _stopping.Cancel();
        lifecycle.Stop();
    }

    private void StartRetryLoop() => _retry = Task.Run(() => RetryLoopAsync(_stopping.Token), CancellationToken.None);

    private void OnStatusChanged(object? sender, ConnectionStatusChangedEventArgs change)
    {
        if (change.Status == ConnectionStatus.Failed)
        {
            Volatile.Read(ref _wake).TrySetResult(); // the retry loop schedules it
        }
    }

    private async Task BackgroundPrefetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await connections.PrefetchAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            Log.BackgroundPrefetchFailed(logger, exception);
        }
    }

    /// <summary>
    /// Retries each failed connection on its own schedule: 1 s, 2 s, 4 s … up to 5 minutes after it failed or was last
    /// retried, each wait jittered down by up to half so that many instances do not retry in step. Connections due
    /// together are retried in one pass (a secret they share is read once). Sleeps while none is failed; a connection
    /// that fails later (a refresh, a health probe, a late failure) wakes it.
    /// </summary>
    private async Task RetryLoopAsync(CancellationToken cancellationToken)
    {
        var schedule = new Dictionary<AdlsConnection, (int Attempt, long Due)>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _wake, wake); // a full fence before the scan: a failure the scan misses finds this and wakes it
            var now = time.GetTimestamp();
            foreach (var connection in connections)
            {
                if (connection.Status != ConnectionStatus.Failed)
                {
                    schedule.Remove(connection);
                }
                else if (!schedule.ContainsKey(connection))
                {
                    schedule[connection] = Schedule(connection, 1, now);
                }
            }

            try
            {
                if (schedule.Count == 0)
                {
                    await wake.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var due = schedule.Values.Min(s => s.Due);
                if (due > now)
                {
                    using var woken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var wait = time.GetElapsedTime(now, due);
                    var delay = Task.Delay(wait, time, woken.Token);
                    Log.RetryWaiting(logger, schedule.Count, wait.TotalMilliseconds); // after the timer exists: whoever reads it can move the clock
                    await Task.WhenAny(delay, wake.Task).ConfigureAwait(false);
                    await woken.CancelAsync().ConfigureAwait(false); // woken early: the delay's timer goes now, not when it was due
                    continue;
                }

                var batch = schedule.Where(s => s.Value.Due <= now).ToList();
                var attempt = batch.Max(s => s.Value.Attempt);
                HashSet<string> tried = [];
                try
                {
                    var report = await connections.RetryAsync([.. batch.Select(s => s.Key)], attempt, cancellationToken).ConfigureAwait(false);
                    tried = report.Results.Select(r => r.ConnectionName).ToHashSet(StringComparer.OrdinalIgnoreCase);
                }
                finally
                {
                    // Rescheduled whatever happened (removed at the next scan if it is ready now); the back-off grows only
                    // for a connection that was tried, not one left to a check still running.
                    now = time.GetTimestamp();
                    foreach (var (connection, (previous, _)) in batch)
                    {
                        schedule[connection] = Schedule(connection, tried.Contains(connection.Name) ? previous + 1 : previous, now);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.RetryLoopFailed(logger, exception);
                await Task.Delay(FirstRetryDelay, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private (int Attempt, long Due) Schedule(AdlsConnection connection, int attempt, long now)
    {
        var wait = RetryDelay(attempt);
        Log.ConnectionRetryScheduled(logger, connection.Name, wait.TotalMilliseconds, attempt);
        return (attempt, time.AddToTimestamp(now, wait));
    }

    /// <summary>The wait before retry <paramref name="attempt"/>: exponential from 1 s, capped at 5 minutes, jittered to 50-100 %.</summary>
    internal static TimeSpan RetryDelay(int attempt)
    {
        var ceiling = RetryTiming.Doubling(FirstRetryDelay, MaxRetryDelay, attempt);
        return ceiling * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    /// <summary>Refreshes every <paramref name="interval"/>, measured from one start to the next (a period, not a gap after each refresh).</summary>
    private async Task RefreshLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await connections.RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Log.RefreshLoopFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
