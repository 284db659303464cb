using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Internal.Hosting;

/// <summary>
/// Prefetches the connections' secrets in <see cref="StartingAsync"/>, before other hosted services (and the web
/// server) start, applies the prefetch policy, and runs the background refresh.
/// </summary>
internal sealed class OdibiStartupService(
    AdlsConnections connections,
    IOptions<OdibiOptions> options,
    TimeProvider time,
    ILogger<OdibiStartupService> logger,
    IHostEnvironment? environment = null,
    AzureEventSourceLogForwarder? azureLogs = null,
    OdibiKeyedConnections? keyed = null) : IHostedLifecycleService
{
    // Never disposed (it has no timer): hosts may stop a service after disposing the container.
    private readonly CancellationTokenSource _stopping = new();
    private Task _background = Task.CompletedTask;
    private Task _refresh = Task.CompletedTask;

    /// <summary>Gets a value indicating whether a background prefetch is still running.</summary>
    public bool BackgroundPrefetchRunning => !_background.IsCompleted;

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

        if (!connections.NeedsPrefetch)
        {
            return;
        }

        // The Azure SDK's event-source logs (Azure.Core, Azure.Identity, Azure.Security.KeyVault.Secrets) reach the app's
        // logging at the levels the app enables; the SDK logs no bodies and redacts headers and query values it does not know.
        azureLogs?.Start();

        var prefetch = options.Value.Prefetch;
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
        await Task.WhenAll(_background, _refresh).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
