namespace Odibi.Extensions.Internal.KeyVault.Gate;

/// <summary>
/// Until a vault's challenge is known, one request goes alone. Key Vault answers a client's first request without a
/// token with a 401 challenge, which the SDK caches for the vault's host; only then does it ask for a token and send the
/// request again with it. The gate's observer sees that request carrying a token (<see cref="Authorized"/>) and the rest
/// then go with the cached challenge and the shared token: N secrets cost N + 1 requests and T + 2L. If the first request
/// ends without a token (an unreachable vault), the next waiter takes its place; if the vault has answered nothing after
/// <see cref="RetryTiming.ProbePatience"/> (a hung connection), the next waiter primes too. A vault whose requests carry
/// a token from the start (<see cref="PreAuthorization"/>) starts primed. Not thread-safe except for the two flags the
/// observer sets: <see cref="VaultGate"/> calls it under its lock.
/// </summary>
internal sealed class GatePriming(RetryTiming timing, TimeProvider time, bool primed)
{
    private volatile bool _primed = primed;
    private volatile bool _answered;
    private int _primersOut;

    /// <summary>Gets whether a request has gone to the vault with a token, so its challenge is known.</summary>
    public bool IsPrimed => _primed;

    /// <summary>Gets when a stalled primer lets the next waiter prime too.</summary>
    public long Due { get; private set; }

    /// <summary>Gets whether a primer is out and the vault has not answered anything yet (a second primer may go at <see cref="Due"/>).</summary>
    public bool Stalls => !_primed && _primersOut > 0 && !_answered;

    /// <summary>Whether a request must wait at <paramref name="now"/>: a primer is out, and the vault has answered or its patience is not over.</summary>
    public bool Blocks(long now) => !_primed && _primersOut > 0 && (_answered || now < Due);

    /// <summary>A request goes at <paramref name="now"/>; returns whether it primes the vault.</summary>
    public bool Admit(long now)
    {
        if (_primed)
        {
            return false;
        }

        _primersOut++;
        Due = time.AddToTimestamp(now, timing.ProbePatience);
        return true;
    }

    /// <summary>A request has ended (answered or not).</summary>
    public void Ended(bool primer)
    {
        if (primer)
        {
            _primersOut--;
        }
    }

    /// <summary>A request went out with a token: the vault's challenge is known. Returns whether this primed the vault.</summary>
    public bool Authorized()
    {
        if (_primed)
        {
            return false;
        }

        _primed = true;
        return true;
    }

    /// <summary>The vault answered something: it is reachable, so a primer waiting for its token is not stalled.</summary>
    public void Answered() => _answered = true;

    /// <summary>Gets whether the vault has answered anything.</summary>
    public bool HasAnswered => _answered;
}
