namespace Odibi.Extensions.Testing.Internal;

/// <summary>The requests a vault admitted within the last rate-limit window (sliding), for per-vault rate limiting. Thread-safe.</summary>
internal sealed class RequestRateWindow
{
    private readonly Lock _lock = new();
    private readonly Queue<DateTimeOffset> _admitted = new();

    /// <summary>
    /// Admits a request at <paramref name="now"/> unless <see cref="LocalKeyVaultRateLimit.Permits"/> requests were
    /// already admitted in the <see cref="LocalKeyVaultRateLimit.Window"/> before it; then <paramref name="retryAfter"/>
    /// is the time until the oldest of them leaves the window, when the window admits again.
    /// </summary>
    public bool TryAcquire(DateTimeOffset now, LocalKeyVaultRateLimit limit, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            while (_admitted.TryPeek(out DateTimeOffset oldest) && now - oldest >= limit.Window)
            {
                _admitted.Dequeue();
            }

            // A limit lowered while requests are under way can leave more in the window than it now admits.
            while (_admitted.Count > limit.Permits)
            {
                _admitted.Dequeue();
            }

            if (_admitted.Count >= limit.Permits)
            {
                retryAfter = _admitted.Peek() + limit.Window - now;
                return false;
            }

            _admitted.Enqueue(now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _admitted.Clear();
        }
    }
}
