using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// Checks that a connection opens its storage: one Get Container Properties call, at most 64 checks at once over all
/// connections (<see cref="PrefetchOptions.MaxConcurrency"/> when lower), each bounded by
/// <see cref="PrefetchOptions.FetchTimeout"/>. A wrong key, a missing container or an unreachable endpoint becomes a
/// failed result, never an exception. Changes no status: the connection's lifecycle decides what a result means.
/// </summary>
internal sealed class StorageVerifier
{
    private readonly PrefetchOptions _prefetch;
    private readonly TimeProvider _time;
    private readonly ILogger<StorageVerifier> _logger;
    private const int MaxChecksAtOnce = 64;

    private readonly SemaphoreSlim _gate; // not disposed: it has no wait handle, and a check may end after the container is disposed

    public StorageVerifier(IOptions<OdibiOptions> options, TimeProvider time, ILogger<StorageVerifier> logger)
    {
        _prefetch = options.Value.Prefetch;
        _time = time;
        _logger = logger;
        // Each check may open a connection to another account: a TLS handshake each, so not a thousand at once.
        var concurrency = Math.Min(_prefetch.MaxConcurrency, MaxChecksAtOnce);
        _gate = new SemaphoreSlim(concurrency, concurrency);
    }

    /// <summary>Checks each connection's container, in parallel.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<StorageCheckResult[]> VerifyAsync(IEnumerable<AdlsConnection> connections, CancellationToken cancellationToken) =>
        Task.WhenAll(connections.Select(c => CheckAsync(c, cancellationToken)));

    /// <summary>Checks one connection's container.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public Task<StorageCheckResult> CheckAsync(AdlsConnection connection, CancellationToken cancellationToken) =>
        // On the thread pool, never on the caller's SynchronizationContext (which may be blocked waiting).
        Task.Run(() => CheckCoreAsync(connection, cancellationToken), CancellationToken.None);

    private async Task<StorageCheckResult> CheckCoreAsync(AdlsConnection connection, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(_prefetch.FetchTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _gate.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TimedOut(connection, started);
        }

        try
        {
            BlobContainerClient container;
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
                return new StorageCheckResult(connection, exception, _time.GetElapsedTime(started)); // the secret's own error names it
            }

            await container.GetPropertiesAsync(cancellationToken: linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
            var duration = _time.GetElapsedTime(started);
            Log.StorageChecked(_logger, connection.Name, connection.Container, duration.TotalMilliseconds);
            return new StorageCheckResult(connection, null, duration);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            return TimedOut(connection, started);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new StorageCheckResult(connection, StorageFailures.ForConnection(connection, exception), _time.GetElapsedTime(started));
        }
        finally
        {
            _gate.Release();
        }
    }

    private StorageCheckResult TimedOut(AdlsConnection connection, long started)
    {
        var cause = new TimeoutException($"Storage did not answer within {_prefetch.FetchTimeout} (Odibi:Prefetch:FetchTimeout, retries included): " +
                                         "check that the endpoint is reachable from this network, or raise FetchTimeout.");
        return new StorageCheckResult(connection, StorageFailures.ForConnection(connection, cause), _time.GetElapsedTime(started));
    }
}
