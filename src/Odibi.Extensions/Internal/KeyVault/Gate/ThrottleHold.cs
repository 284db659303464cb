namespace Odibi.Extensions.Internal.KeyVault.Gate;

/// <summary>
/// Throttle back-pressure for one vault. A 429 holds the whole vault: nothing goes until, after a jittered delay
/// (<see cref="RetryTiming.ThrottleDelay"/>, Retry-After plus jitter when sent), one probe goes; its answer reopens the
/// vault, its 429 holds it again for longer. A probe unanswered after <see cref="RetryTiming.ProbePatience"/> (a hung
/// connection) lets the next waiting read probe too. The vault's limit is per window, not per request, so one refused
/// request says the others would be refused too.
/// Not thread-safe: <see cref="VaultGate"/> calls it under its lock.
/// </summary>
internal sealed class ThrottleHold(RetryTiming timing, TimeProvider time)
{
    private int _probesOut;
    private int _throttledInARow;

    /// <summary>Gets whether the vault is held.</summary>
    public bool IsHolding { get; private set; }

    /// <summary>Gets when the next probe may go (while held), or until when a probe out holds the rest.</summary>
    public long ProbeAt { get; private set; }

    /// <summary>Whether a request must wait at <paramref name="now"/>.</summary>
    public bool Blocks(long now) => IsHolding && now < ProbeAt;

    /// <summary>
    /// A request goes at <paramref name="now"/>: while held, it is a probe, and while it is out nothing else goes, unless
    /// it stays unanswered (a hung connection): then the next waiter probes too, rather than every read of the vault
    /// waiting for its deadline behind it. Returns whether it is a probe.
    /// </summary>
    public bool Admit(long now)
    {
        if (!IsHolding)
        {
            return false;
        }

        _probesOut++;
        ProbeAt = time.AddToTimestamp(now, timing.ProbePatience);
        return true;
    }

    /// <summary>A request was answered 429 at <paramref name="now"/>; returns whether the hold's due time moved (re-arm the timer).</summary>
    public bool Throttled(bool probe, long now, TimeSpan? retryAfter)
    {
        EndProbe(probe);
        if (!IsHolding || probe)
        {
            Hold(time.AddToTimestamp(now, timing.ThrottleDelay(++_throttledInARow, retryAfter)));
            return true;
        }

        if (retryAfter is { } wait)
        {
            Hold(Math.Max(ProbeAt, time.AddToTimestamp(now, wait)));
            return true;
        }

        return false;
    }

    /// <summary>
    /// A request was answered, not with a 429. A probe's answer reopens the vault; returns
    /// whether it did, and whether the probe before it had been refused (the vault's window stayed shut for a while).
    /// </summary>
    public (bool Reopened, bool AfterRefusedProbe) Answered(bool probe)
    {
        EndProbe(probe);
        if (!probe)
        {
            return (false, false);
        }

        var afterRefused = _throttledInARow > 1;
        IsHolding = false;
        _throttledInARow = 0;
        return (true, afterRefused);
    }

    /// <summary>A request ended without an answer at <paramref name="now"/>: a probe lost that way lets the next waiter probe at once.</summary>
    public void Unanswered(bool probe, long now)
    {
        EndProbe(probe);
        if (probe && _probesOut == 0)
        {
            ProbeAt = Math.Min(ProbeAt, now);
        }
    }

    private void Hold(long probeAt)
    {
        IsHolding = true;
        ProbeAt = probeAt;
    }

    private void EndProbe(bool probe)
    {
        if (probe)
        {
            _probesOut--;
        }
    }
}
