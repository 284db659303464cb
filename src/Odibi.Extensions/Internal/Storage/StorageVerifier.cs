using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// Checks that connections open their storage: one Get Container Properties call per connection, in parallel, at most
/// <see cref="PrefetchOptions.MaxConcurrency"/> at once, each bounded by <see cref="PrefetchOptions.FetchTimeout"/>.
/// A wrong key, a missing container or an unreachable endpoint becomes a failed result, never an exception.
/// </summary>
internal sealed class StorageVerifier(IOptions<OdibiOptions> options, TimeProvider time, ILogger<StorageVerifier> logger)
{
    /// <summary>Checks each connection's container. Changes no status and logs nothing: the health check's probe.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<StorageCheckResult[]> VerifyAsync(IEnumerable<AdlsConnection> connections, CancellationToken cancellationToken) =>
        VerifyAsync(connections, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// The <c>VerifyStorage</c> step of a prefetch: checks every connection whose secret or token is ready (inline ones
    /// included), within what is left of <see cref="PrefetchOptions.StartupTimeout"/>, marks failures <see cref="ConnectionStatus.Failed"/>
    /// and returns the report with one result per connection.
    /// </summary>
    public async Task<PrefetchReport> VerifyAfterPrefetchAsync(IReadOnlyList<AdlsConnection> all, PrefetchReport report, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var byName = report.Results.ToDictionary(r => r.ConnectionName, StringComparer.OrdinalIgnoreCase);
        var ready = all.Where(c => !byName.TryGetValue(c.Name, out var result) || result.Success).ToList();
        var budget = options.Value.Prefetch.StartupTimeout - report.Elapsed;
        var checks = (await VerifyAsync(ready, budget > TimeSpan.Zero ? budget : TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
            .ToDictionary(c => c.Connection);

        var results = new List<KeyVaultFetchResult>(all.Count);
        foreach (var connection in all)
        {
            byName.TryGetValue(connection.Name, out var secret);
            if (!checks.TryGetValue(connection, out var check))
            {
                results.Add(secret!); // its secret or token failed: nothing to check
                continue;
            }

            var duration = (secret?.Duration ?? TimeSpan.Zero) + check.Duration;
            results.Add(new KeyVaultFetchResult(connection.Name, connection.Account, connection.KeyVaultUri, connection.SecretName,
                check.Success, check.Error, duration));
            if (check.Error is { } error) // logged before the status changes, as SecretPrefetcher does
            {
                Log.StorageCheckFailed(logger, connection.Name, check.Duration.TotalMilliseconds, OdibiTelemetry.ErrorType(error), error.Message);
                connection.MarkFailed(duration, error);
            }
            else
            {
                Log.StorageChecked(logger, connection.Name, connection.Container, check.Duration.TotalMilliseconds);
                connection.MarkReady(duration);
            }
        }

        return new PrefetchReport(results, report.Elapsed + time.GetElapsedTime(started));
    }

    private async Task<StorageCheckResult[]> VerifyAsync(IEnumerable<AdlsConnection> connections, TimeSpan budget, CancellationToken cancellationToken)
    {
        var prefetch = options.Value.Prefetch;
        using var gate = new SemaphoreSlim(prefetch.MaxConcurrency, prefetch.MaxConcurrency);
        using var deadline = new CancellationTokenSource(budget, time);
        // Each check starts on the thread pool, never on the caller's SynchronizationContext (which may be blocked waiting).
        var checks = connections.Select(c => Task.Run(() => CheckAsync(c, gate, prefetch, deadline.Token, cancellationToken), CancellationToken.None)).ToList();
        return await Task.WhenAll(checks).ConfigureAwait(false);
    }

    private async Task<StorageCheckResult> CheckAsync(
        AdlsConnection connection, SemaphoreSlim gate, PrefetchOptions prefetch, CancellationToken stageDeadline, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        using var timeout = new CancellationTokenSource(prefetch.FetchTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stageDeadline, timeout.Token);
        BlobContainerClient container;
        try
        {
            await gate.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TimedOut(connection, stageDeadline, prefetch, started);
        }

        try
        {
            try
            {
                if (connection.HasKeyVaultSecret)
                {
                    await connection.GetStorageKeyAsync(linked.Token).AsTask().WaitAsync(linked.Token).ConfigureAwait(false);
                }

                container = connection.GetBlobContainerClient();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new StorageCheckResult(connection, exception, time.GetElapsedTime(started)); // the secret's own error names it
            }

            await container.GetPropertiesAsync(cancellationToken: linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
            return new StorageCheckResult(connection, null, time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && linked.IsCancellationRequested)
        {
            return TimedOut(connection, stageDeadline, prefetch, started);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            return new StorageCheckResult(connection, StorageFailures.ForConnection(connection, exception), time.GetElapsedTime(started));
        }
        finally
        {
            gate.Release();
        }
    }

    private StorageCheckResult TimedOut(AdlsConnection connection, CancellationToken stageDeadline, PrefetchOptions prefetch, long started)
    {
        var cause = stageDeadline.IsCancellationRequested
            ? new TimeoutException($"The prefetch did not finish within {prefetch.StartupTimeout} (Odibi:Prefetch:StartupTimeout): raise it, or check why storage is slow.")
            : new TimeoutException($"Storage did not answer within {prefetch.FetchTimeout} (Odibi:Prefetch:FetchTimeout, retries included): " +
                                   "check that the endpoint is reachable from this network, or raise FetchTimeout.");
        return new StorageCheckResult(connection, StorageFailures.ForConnection(connection, cause), time.GetElapsedTime(started));
    }
}
