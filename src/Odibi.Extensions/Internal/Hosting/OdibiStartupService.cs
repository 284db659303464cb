using System.Collections.Concurrent;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.Hosting;

/// <summary>
/// Prefetches the connections' secrets in <see cref="StartingAsync"/>, before other hosted services (and the web
/// server) start, applies the prefetch policy, retries failed required connections in the background (under
/// <see cref="PrefetchPolicy.Degrade"/> and <see cref="PrefetchPolicy.Background"/>), and runs the background refresh.
/// Stopping the host, or disposing it without stopping, ends every background loop.
/// </summary>
internal sealed class OdibiStartupService(
    AdlsConnections connections,
    IOptions<OdibiOptions> options,
    TimeProvider time,
    ILogger<OdibiStartupService> logger,
    IHostEnvironment? environment = null,
    AzureEventSourceLogForwarder? azureLogs = null,
    OdibiKeyedConnections? keyed = null) : IHostedLifecycleService, IDisposable
{
    /// <summary>The first wait before a failed required connection is retried.</summary>
    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two retries of failed connections.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);

    // Canceled by StopAsync or Dispose; never disposed (it has no timer): hosts may stop a service after disposing the container.
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _retriesScheduled = new();
    private Task _background = Task.CompletedTask;
    private Task _refresh = Task.CompletedTask;
    private Task _retry = Task.CompletedTask;
    private int _lastRetryScheduled;

    /// <summary>Gets a value indicating whether a background prefetch is still running.</summary>
    public bool BackgroundPrefetchRunning => !_background.IsCompleted;

    /// <summary>Returns a task that ends when every background loop (prefetch, retry, refresh) has ended.</summary>
    internal async Task WhenBackgroundWorkEndedAsync()
    {
        await _background.ConfigureAwait(false);
        await _refresh.ConfigureAwait(false);
        await Volatile.Read(ref _retry).ConfigureAwait(false); // read last: a background prefetch starts the retries when it ends
    }

    /// <summary>Gets a task that completes once the wait before retry <paramref name="attempt"/> (from 1) has started.</summary>
    internal Task WhenRetryScheduled(int attempt)
    {
        if (Volatile.Read(ref _lastRetryScheduled) >= attempt)
        {
            return Task.CompletedTask;
        }

        var scheduled = _retriesScheduled.GetOrAdd(attempt, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Volatile.Read(ref _lastRetryScheduled) >= attempt)
        {
            scheduled.TrySetResult(); // scheduled while this was being added
        }

        return scheduled.Task;
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
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

        if (!connections.NeedsPrefetch)
        {
            return;
        }

        // The Azure SDK's event-source logs (Azure.Core, Azure.Identity, Azure.Security.KeyVault.Secrets) reach the app's
        // logging at the levels the app enables; the SDK logs no bodies and redacts headers and query values it does not know.
        azureLogs?.Start();

        if (prefetch.Policy == PrefetchPolicy.Background)
        {
            _background = Task.Run(() => BackgroundPrefetchAsync(_stopping.Token), CancellationToken.None);
            return;
        }

        var report = await connections.PrefetchAsync(cancellationToken).ConfigureAwait(false);
        var required = report.Results.Where(r => !r.Success && !connections[r.ConnectionName].Optional).ToList();
        if (prefetch.Policy == PrefetchPolicy.FailFast && required.Count > 0)
        {
            throw new OdibiPrefetchException(report);
        }

        if (prefetch.Policy == PrefetchPolicy.Degrade)
        {
            _retry = RetryFailedAsync(_stopping.Token); // runs until its first wait, so the timer exists when StartingAsync returns
        }
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
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        await WhenBackgroundWorkEndedAsync().WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ends the background loops of a host disposed without <see cref="StopAsync"/>.</summary>
    public void Dispose() => _stopping.Cancel();

    private async Task BackgroundPrefetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await connections.PrefetchAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception)
        {
            Log.BackgroundPrefetchFailed(logger, exception);
        }

        Volatile.Write(ref _retry, RetryFailedAsync(cancellationToken)); // the prefetch is done; the retries are another loop
    }

    /// <summary>
    /// Retries the failed required connections until none is left, waiting 1 s, 2 s, 4 s … up to 5 minutes between
    /// attempts, each wait jittered down by up to half so that many instances do not retry in step.
    /// </summary>
    private async Task RetryFailedAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
        {
            var failed = connections.Where(c => c.Status == ConnectionStatus.Failed && !c.Optional).ToList();
            if (failed.Count == 0)
            {
                return;
            }

            var wait = RetryDelay(attempt);
            Log.ConnectionRetryScheduled(logger, failed.Count, wait.TotalMilliseconds, attempt);
            try
            {
                var delay = Task.Delay(wait, time, cancellationToken);
                Volatile.Write(ref _lastRetryScheduled, attempt);
                if (_retriesScheduled.TryRemove(attempt, out var scheduled))
                {
                    scheduled.TrySetResult();
                }

                await delay.ConfigureAwait(false);
                await connections.RetryAsync(failed, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.BackgroundPrefetchFailed(logger, exception);
            }
        }
    }

    /// <summary>The wait before retry <paramref name="attempt"/>: exponential from 1 s, capped at 5 minutes, jittered to 50-100 %.</summary>
    internal static TimeSpan RetryDelay(int attempt)
    {
        var ceiling = RetryTiming.Doubling(FirstRetryDelay, MaxRetryDelay, attempt);
        return ceiling * (0.5 + (Random.Shared.NextDouble() / 2));
    }

    private async Task RefreshLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
                await connections.RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.BackgroundPrefetchFailed(logger, exception);
            }
        }
    }
}
