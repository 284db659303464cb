using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// The secrets read from Key Vault, keyed by (vault, name, version). Concurrent callers of one secret share one read;
/// no lock is held across I/O. A read retries transient answers (429, 408, 500, 502, 503, 504, a dropped connection)
/// through the vault's <see cref="VaultGate"/> until its deadline, <see cref="PrefetchOptions.FetchTimeout"/> after it
/// was queued; other answers fail it at once. A failed read is handed to the callers that arrive within a short
/// back-off that grows while the read keeps failing (<see cref="RetryTiming.FailureDelay"/>), then one of them reads
/// again: a failing secret costs the vault one request per back-off, not one per caller.
/// </summary>
internal sealed class SecretCache : IDisposable
{
    private readonly ConcurrentDictionary<SecretKey, Entry> _entries = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly VaultClients _clients;
    private readonly TimeProvider _time;
    private readonly TimeSpan _fetchTimeout;
    private readonly ILogger _logger;

    public SecretCache(VaultClients clients, IOptions<OdibiOptions> options, TimeProvider time, ILogger<SecretCache>? logger = null)
    {
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _clients = clients;
        _time = time;
        _fetchTimeout = options.Value.Prefetch.FetchTimeout;
    }

    /// <summary>
    /// Gets the cached value with its version (1 for the first value, one more for each new value), or
    /// <see langword="null"/>: a consumer applies a value only if its version is newer than the one it holds, so values
    /// read in quick succession never land out of order.
    /// </summary>
    public SecretValue? Peek(SecretKey key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        lock (entry)
        {
            return entry.Value is { } value ? new SecretValue(value, entry.Version) : null;
        }
    }

    /// <summary><paramref name="value"/>, just read, with its version if the cache still holds it; version 0 (unknown) otherwise.</summary>
    public SecretValue Versioned(SecretKey key, string value) =>
        Peek(key) is { } latest && latest.Value == value ? latest : new SecretValue(value, 0);

    /// <summary>Returns the cached value, or joins (or starts) the fetch of it.</summary>
    public ValueTask<string> GetAsync(SecretKey key, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        return entry.Value is { } value
            ? ValueTask.FromResult(value)
            : new ValueTask<string>(Fetch(key, entry, refresh: false).WaitAsync(cancellationToken));
    }

    /// <summary>
    /// Returns the cached value, or joins (or starts) the fetch of it, blocking the calling thread: for the synchronous
    /// Blob API. A fetch this call starts runs on this thread with the SDK's synchronous calls, so our code needs no
    /// thread-pool thread to finish it (the .NET HTTP stack still opens new connections on the pool). Joining an
    /// asynchronous fetch already under way (a background prefetch, a refresh) waits for work that runs on the pool.
    /// </summary>
    public string Get(SecretKey key, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        return entry.Value ?? Wait(Fetch(key, entry, refresh: false, async: false), cancellationToken);
    }

    /// <summary>The synchronous form of <see cref="RefreshIfStaleAsync"/>; a read it starts runs on this thread.</summary>
    public string RefreshIfStale(SecretKey key, string staleValue, CancellationToken cancellationToken) =>
        Wait(Fetch(key, _entries.GetOrAdd(key, static _ => new Entry()), refresh: true, staleValue, async: false), cancellationToken);

    /// <summary>Reads the secret again even if cached (joining a fetch already under way); the old value stays until it succeeds.</summary>
    public Task<string> RefreshAsync(SecretKey key, CancellationToken cancellationToken) =>
        Fetch(key, _entries.GetOrAdd(key, static _ => new Entry()), refresh: true).WaitAsync(cancellationToken);

    /// <summary>
    /// Reads the secret again because <paramref name="staleValue"/> was refused, unless the cached value already differs
    /// from it (someone else read the new one); joins a read under way. The cached value stays until the read succeeds.
    /// </summary>
    public Task<string> RefreshIfStaleAsync(SecretKey key, string staleValue, CancellationToken cancellationToken) =>
        Fetch(key, _entries.GetOrAdd(key, static _ => new Entry()), refresh: true, staleValue).WaitAsync(cancellationToken);

    /// <summary>
    /// Calls <paramref name="onChanged"/> with each new value of the secret and its version, after it is cached and
    /// before the read's callers hear of it: every consumer (a client's shared key, a SAS, an identity's client secret)
    /// signs with the current value, however idle. Handlers must be quick; they are called on the reading thread, and
    /// one that throws is logged and does not keep the value from the others.
    /// </summary>
    /// <returns>Ends the subscription when disposed.</returns>
    public IDisposable Subscribe(SecretKey key, Action<SecretValue> onChanged)
    {
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        lock (entry)
        {
            entry.Subscribers = [.. entry.Subscribers, onChanged];
        }

        return new Subscription(entry, onChanged);
    }

    /// <summary>Stops: reads under way end, and later ones fail saying so. The token source is not disposed, so nothing reads a disposed one.</summary>
    public void Dispose() => _lifetime.Cancel();

    private static string Wait(Task<string> fetch, CancellationToken cancellationToken)
    {
        // Completed already when this thread ran the read; else this joins one under way (which may need a pool thread).
        try
        {
            fetch.Wait(cancellationToken);
        }
        catch (AggregateException)
        {
            // Rethrown below as the read's own exception, as the asynchronous path throws it.
        }

        return fetch.GetAwaiter().GetResult();
    }

    private Task<string> Fetch(SecretKey key, Entry entry, bool refresh, string? unlessChangedFrom = null, bool async = true)
    {
        TaskCompletionSource<string> fetch;
        lock (entry)
        {
            if ((!refresh || (unlessChangedFrom is not null && entry.Value != unlessChangedFrom)) && entry.Value is { } value)
            {
                return Task.FromResult(value);
            }

            if (entry.InFlight is { } running)
            {
                return running;
            }

            if (!refresh && entry.Failure is { } failed && _time.GetTimestamp() < entry.FailedUntil)
            {
                return failed;
            }

            fetch = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            entry.InFlight = fetch.Task;
        }

        // The deadline is set here, when the read is queued, and every wait of the read observes it. A synchronous caller's
        // read runs to its end here, on the caller's thread (every await below completes synchronously).
        _ = RunAsync(key, entry, fetch, _time.GetTimestamp(), async);
        return fetch.Task;
    }

    private async Task RunAsync(SecretKey key, Entry entry, TaskCompletionSource<string> fetch, long queued, bool async)
    {
        try
        {
            var value = await ReadAsync(key, queued, async).ConfigureAwait(false);
            Action<SecretValue>[] changed;
            long version;
            lock (entry)
            {
                changed = entry.Value == value ? [] : entry.Subscribers;
                version = entry.Value == value ? entry.Version : ++entry.Version;
                entry.Value = value;
                entry.InFlight = null;
                entry.Failure = null;
                entry.FailuresInARow = 0;
            }

            foreach (var onChanged in changed)
            {
                try
                {
                    onChanged(new SecretValue(value, version));
                }
#pragma warning disable CA1031 // One consumer's failure (a credential it cannot build) must not fail the read for everyone.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Log.SecretConsumerFailed(_logger, key.Name, key.Vault, exception);
                }
            }

            fetch.SetResult(value);
        }
        catch (Exception exception)
        {
            // Recorded before the callers hear of it, as a value is: a caller that asks again as soon as the read failed
            // must find the back-off, timed from the failure, rather than the ended read still in flight.
            lock (entry)
            {
                entry.InFlight = null;
                entry.Failure = fetch.Task;
                entry.FailedUntil = _time.AddToTimestamp(_time.GetTimestamp(), _clients.Timing.FailureDelay(++entry.FailuresInARow));
            }

            fetch.SetException(exception);
        }
    }

    private async Task<string> ReadAsync(SecretKey key, long queued, bool async)
    {
        if (_lifetime.IsCancellationRequested)
        {
            throw Stopped(key);
        }

        var vault = _clients.Get(key.Vault);
        var left = _fetchTimeout - _time.GetElapsedTime(queued);
        using var deadline = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _lifetime.Token);
        var token = linked.Token;
        int attempts = 0, throttled = 0;
        Exception? last = null;
        try
        {
            while (true)
            {
                var lease = async ? await vault.Gate.EnterAsync(token).ConfigureAwait(false) : vault.Gate.Enter(token);
                attempts++;
                var answer = VaultAnswer.None;
                TimeSpan? retryAfter = null;
                try
                {
                    KeyVaultSecret secret = async
                        ? await vault.Client.GetSecretAsync(key.Name, key.Version, token).ConfigureAwait(false)
                        : vault.Client.GetSecret(key.Name, key.Version, token);
                    answer = VaultAnswer.Success;
                    if (string.IsNullOrWhiteSpace(secret.Value))
                    {
                        throw new InvalidOperationException(
                            $"Key Vault {key} is empty: an empty value is not a key. Set the secret's value (az keyvault secret set --vault-name <vault> --name {key.Name} --value <key>).");
                    }

                    return secret.Value;
                }
                catch (RequestFailedException failed) when (failed.Status != 0)
                {
                    answer = failed.Status == 429 ? VaultAnswer.Throttled : VaultAnswer.Failed;
                    retryAfter = RetryAfter(failed);
                    if (failed.Status is not (408 or 429 or 500 or 502 or 503 or 504))
                    {
                        throw;
                    }

                    last = failed;
                    throttled += failed.Status == 429 ? 1 : 0;
                }
                catch (RequestFailedException dropped) when (!token.IsCancellationRequested)
                {
                    last = dropped; // no answer: a dropped or refused connection
                }
                finally
                {
                    vault.Gate.Exit(lease, answer, retryAfter);
                }

                // A 429 holds the whole vault at its gate; other transient failures back off on their own.
                if (answer != VaultAnswer.Throttled)
                {
                    var delay = _clients.Timing.TransientDelay(attempts);
                    if (async)
                    {
                        await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    }
                    else
                    {
                        token.WaitHandle.WaitOne(delay); // a synchronous caller's own thread waits; no timer callback needed
                        token.ThrowIfCancellationRequested();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            throw Stopped(key);
        }
        catch (Exception exception) when (deadline.IsCancellationRequested && exception is OperationCanceledException or RequestFailedException { Status: 0 })
        {
            throw GaveUp(key, attempts, throttled, last, _time.GetElapsedTime(queued));
        }
    }

    private TimeoutException GaveUp(SecretKey key, int attempts, int throttled, Exception? last, TimeSpan elapsed)
    {
        var within = $"Key Vault did not return {key} within {_fetchTimeout} (Odibi:Prefetch:FetchTimeout, retries included)";
        var tries = string.Create(CultureInfo.InvariantCulture, $"gave up after {attempts} attempt{(attempts == 1 ? "" : "s")} over {elapsed.TotalSeconds:0.0} s");
        return last switch
        {
            RequestFailedException { Status: 429 } => new TimeoutException(
                $"{within}: {tries}, {throttled} of them answered 429 Throttled (the vault's request limit). " +
                "Fix: spread secrets across vaults, stagger host starts, or raise Odibi:Prefetch:FetchTimeout."),
            not null => new TimeoutException($"{within}: {tries}; the last: {SecretFailures.Cause(last)}"),
            null => new TimeoutException(
                $"{within}: {tries}, without an answer. Fix: check that the vault is reachable from this network, or raise FetchTimeout."),
        };
    }

    private static InvalidOperationException Stopped(SecretKey key) =>
        new($"Key Vault {key} was not read: the Odibi connections are stopped (their host has shut down).");

    private static TimeSpan? RetryAfter(RequestFailedException failed) =>
        failed.GetRawResponse() is { } response && response.Headers.TryGetValue("Retry-After", out var value)
            && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private sealed class Subscription(Entry entry, Action<SecretValue> onChanged) : IDisposable
    {
        public void Dispose()
        {
            lock (entry)
            {
                entry.Subscribers = [.. entry.Subscribers.Where(s => s != onChanged)];
            }
        }
    }

    private sealed class Entry
    {
        public string? Value { get; set; }

        public Action<SecretValue>[] Subscribers { get; set; } = [];

        /// <summary>Gets or sets the version of <see cref="Value"/>: one more for each new value.</summary>
        public long Version { get; set; }

        public Task<string>? InFlight { get; set; }

        /// <summary>Gets or sets the last read, if it failed; handed to callers until <see cref="FailedUntil"/>.</summary>
        public Task<string>? Failure { get; set; }

        public long FailedUntil { get; set; }

        public int FailuresInARow { get; set; }
    }
}
