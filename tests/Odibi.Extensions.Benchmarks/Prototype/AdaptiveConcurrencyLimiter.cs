using System.Diagnostics;

namespace Odibi.Extensions.Benchmarks.Prototype;

/// <summary>
/// A per-vault limit on requests in flight that adapts (AIMD). It starts at <c>max</c>. A 429 for a request sent after
/// the last cut multiplies the limit by <c>decrease</c> (so a burst of 429s cuts once per round trip). A success of a
/// request sent after the last cut adds 1/limit (about +1 per round trip) up to <c>max</c>, while its latency stays within
/// 1.5× the fastest seen (latency holds) and no 429 came within the last Retry-After. Waiters are served in order.
/// <c>decrease</c> = 1 gives a fixed limit.
/// </summary>
internal sealed class AdaptiveConcurrencyLimiter(int max, double decrease)
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private double _limit = max;
    private int _inFlight;
    private long _lastCut;
    private long _quietUntil;
    private TimeSpan _fastest = TimeSpan.MaxValue;

    /// <summary>Waits for a slot; returns the timestamp the request is sent at.</summary>
    public async ValueTask<long> EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && _inFlight < (int)_limit)
            {
                _inFlight++;
                return Stopwatch.GetTimestamp();
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        await waiter.Task.WaitAsync(cancellationToken);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Frees the slot of a request sent at <paramref name="sent"/> that was answered <paramref name="status"/> (0: no answer).</summary>
    public void Exit(long sent, int status, TimeSpan? retryAfter)
    {
        var now = Stopwatch.GetTimestamp();
        var latency = Stopwatch.GetElapsedTime(sent, now);
        lock (_lock)
        {
            _inFlight--;
            if (status == 429)
            {
                _quietUntil = Math.Max(_quietUntil, now + (long)((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds * Stopwatch.Frequency));
                if (sent > _lastCut)
                {
                    _limit = Math.Max(1, _limit * decrease);
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

            while (_waiters.Count > 0 && _inFlight < (int)_limit)
            {
                _inFlight++;
                _waiters.Dequeue().TrySetResult();
            }
        }
    }
}
