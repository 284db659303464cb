namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// A vault's limit on requests in flight that adapts to throttling (additive increase, multiplicative decrease). It
/// starts at <see cref="PrefetchOptions.MaxConcurrency"/>. A 429 for a request sent after the last cut multiplies the
/// limit by 0.9, so a burst of 429s cuts once per round trip. A success of a request sent after the last cut adds
/// 1/limit (about one per round trip), up to the maximum, while its latency stays within 1.5× the fastest seen and no
/// 429 came within the last Retry-After. Waiters are served in order.
/// </summary>
/// <remarks>
/// The right number of requests in flight is the vault's rate limit times the round trip, which the library cannot
/// know; a fixed cap above it keeps the vault answering 429 with Retry-After waits of a second or more.
/// </remarks>
internal sealed class AdaptiveConcurrencyLimiter(int max, TimeProvider time)
{
    private const double Decrease = 0.9;

    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private double _limit = max;
    private int _inFlight;
    private long _lastCut = long.MinValue;
    private long _quietUntil = long.MinValue;
    private TimeSpan _fastest = TimeSpan.MaxValue;

    /// <summary>Gets the current limit.</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return (int)_limit;
            }
        }
    }

    /// <summary>Waits for a slot; returns the timestamp the request is sent at, for <see cref="Exit"/>.</summary>
    public async ValueTask<long> EnterAsync(CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource> waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _inFlight < (int)_limit)
            {
                _inFlight++;
                return time.GetTimestamp();
            }

            waiter = _waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        try
        {
            await waiter.Value.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (waiter.List is not null)
                {
                    _waiters.Remove(waiter);
                    throw;
                }
            }

            Release(); // granted while being canceled: give the slot back
            throw;
        }

        return time.GetTimestamp();
    }

    /// <summary>Frees the slot of a request sent at <paramref name="sent"/> that was answered <paramref name="status"/> (0: no answer).</summary>
    public void Exit(long sent, int status, TimeSpan? retryAfter)
    {
        var now = time.GetTimestamp();
        var latency = time.GetElapsedTime(sent, now);
        lock (_lock)
        {
            if (status == 429)
            {
                var wait = retryAfter ?? TimeSpan.FromSeconds(1);
                _quietUntil = Math.Max(_quietUntil, now + (long)(wait.TotalSeconds * time.TimestampFrequency));
                if (sent > _lastCut)
                {
                    _limit = Math.Max(1, _limit * Decrease);
                    _lastCut = now;
                }
            }
            else if (status is >= 200 and < 300)
            {
                _fastest = latency < _fastest ? latency : _fastest;
                if (sent > _lastCut && now >= _quietUntil && latency <= _fastest * 1.5)
                {
                    _limit = Math.Min(max, _limit + (1 / _limit));
                }
            }

            _inFlight--;
            Pump();
        }
    }

    private void Release()
    {
        lock (_lock)
        {
            _inFlight--;
            Pump();
        }
    }

    private void Pump()
    {
        while (_waiters.First is { } next && _inFlight < (int)_limit)
        {
            _waiters.RemoveFirst();
            _inFlight++;
            next.Value.TrySetResult();
        }
    }
}
