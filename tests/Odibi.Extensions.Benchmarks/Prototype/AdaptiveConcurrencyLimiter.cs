using System.Diagnostics;

namespace Odibi.Extensions.Benchmarks.Prototype;

/// <summary>
/// A per-vault concurrency limit that adapts (AIMD): starts at <c>max</c>; a 429 for a request sent after the last cut
/// multiplies the limit by <c>decrease</c> (so one burst of 429s cuts once), and each success of a request sent after
/// the last cut adds 1/limit (about +1 per round trip) up to <c>max</c>, as long as its latency stays within 1.5× the
/// fastest seen (latency holding) and, with <c>quietAfterThrottle</c>, no 429 came within the last Retry-After.
/// Waiters are served first in, first out.
/// </summary>
internal sealed class AdaptiveConcurrencyLimiter(int max, double decrease, bool grow, bool quietAfterThrottle = false)
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private double _limit = max;
    private int _inFlight;
    private long _lastCut;
    private TimeSpan _fastest = TimeSpan.MaxValue;
    private long _quietUntil;

    public double Limit
    {
        get
        {
            lock (_lock)
            {
                return _limit;
            }
        }
    }

    public int Cuts { get; private set; }

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
    public void Exit(long sent, int status, TimeSpan? retryAfter = null)
    {
        var latency = Stopwatch.GetElapsedTime(sent);
        lock (_lock)
        {
            _inFlight--;
            if (status == 429)
            {
                var quiet = Stopwatch.GetTimestamp() + (long)((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds * Stopwatch.Frequency);
                _quietUntil = Math.Max(_quietUntil, quiet);
                if (sent > _lastCut)
                {
                    _limit = Math.Max(1, _limit * decrease);
                    _lastCut = Stopwatch.GetTimestamp();
                    Cuts++;
                }
            }
            else if (status is >= 200 and < 300)
            {
                _fastest = latency < _fastest ? latency : _fastest;
                if (grow && sent > _lastCut && latency <= _fastest * 1.5 && (!quietAfterThrottle || Stopwatch.GetTimestamp() >= _quietUntil))
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
