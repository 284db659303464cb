namespace Odibi.Extensions.Testing.Internal;

/// <summary>A one-second sliding window of accepted requests, used for per-vault rate limiting. Thread-safe.</summary>
internal sealed class RequestRateWindow
{
    private static readonly TimeSpan s_window = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Queue<DateTimeOffset> _accepted = new();

    /// <summary>Reads a rate-limit setting stored as an int field (0: no limit), as the server and each vault keep theirs.</summary>
    public static int? ReadLimit(ref int field)
    {
        int limit = Volatile.Read(ref field);
        return limit == 0 ? null : limit;
    }

    /// <summary>Writes a rate-limit setting (<see langword="null"/>: no limit).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is less than 1.</exception>
    public static void WriteLimit(ref int field, int? value)
    {
        if (value is int limit)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(value));
        }

        Volatile.Write(ref field, value ?? 0);
    }

    /// <summary>
    /// Accepts a request at <paramref name="now"/> unless <paramref name="limit"/> requests were already accepted in
    /// the second before it; then <paramref name="retryAfter"/> is when the oldest of them leaves the window.
    /// </summary>
    public bool TryAcquire(DateTimeOffset now, int limit, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            while (_accepted.TryPeek(out DateTimeOffset oldest) && now - oldest >= s_window)
            {
                _accepted.Dequeue();
            }

            if (_accepted.Count >= limit)
            {
                retryAfter = _accepted.Peek() + s_window - now;
                return false;
            }

            _accepted.Enqueue(now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _accepted.Clear();
        }
    }
}
