namespace Odibi.Extensions.Internal.KeyVault.Gate;

/// <summary>
/// How many requests may be in flight to one vault: a window that starts at <see cref="InitialWindow"/> (or the maximum
/// when lower) and grows by one per fast success, doubling per round trip (slow start), until the first 429 or the first
/// slow answer; from then on it grows by about one per round trip. The 429 that ends slow start returns it to where it
/// started; after that, a 429 for a request sent after the last cut multiplies it by 0.9 (one cut per round trip). A success counts as fast while the vault is not held and its latency is within
/// 1.5× the baseline: the fastest latency seen, drifting up toward recent ones so that one unusually fast answer does not
/// stop the growth for good. Not thread-safe: <see cref="VaultGate"/> calls it under its lock.
/// </summary>
internal sealed class ConcurrencyWindow
{
    /// <summary>
    /// The window a vault starts with: a service's secrets in one round trip up to 256 in a vault (the plain SDK sends
    /// them all at once; a smaller start cost 256 secrets three round trips where it took one), few enough TLS handshakes
    /// at once that a thousand secrets do not open a thousand connections before the vault has answered any.
    /// </summary>
    public const int InitialWindow = 256;

    private const double Decrease = 0.9;

    /// <summary>The share of its own successes since the last reopen that a vault ramps up from after a refused probe.</summary>
    private const double OwnShare = 1.0 / 8;
    private const double BaselineDrift = 1.0 / 16;
    private const double FastFactor = 1.5;

    private readonly int _max;
    private readonly int _initial;
    private double _limit;
    private double _ramp = double.MaxValue; // in flight allowed while ramping up after a reopen; MaxValue when not ramping
    private long _lastCut = long.MinValue;
    private double _baseline = double.MaxValue; // seconds
    private bool _slowStart = true;
    private int _successes; // 2xx answers since the window was created or last reopened

    public ConcurrencyWindow(int max)
    {
        _max = max;
        _initial = Math.Min(InitialWindow, max);
        _limit = _initial;
    }

    /// <summary>Gets the current limit on requests in flight.</summary>
    public int Limit => (int)_limit;

    /// <summary>Gets whether the window still doubles per round trip (no 429 and no slow answer yet).</summary>
    public bool InSlowStart => _slowStart;

    /// <summary>Whether one more request may go with <paramref name="inFlight"/> already out.</summary>
    public bool Admits(int inFlight) => inFlight < (int)Math.Min(_limit, _ramp);

    /// <summary>A request sent at <paramref name="sent"/> was answered 429 at <paramref name="now"/>.</summary>
    public void Throttled(long sent, long now)
    {
        if (sent > _lastCut)
        {
            // The 429 that ends slow start returns the window to where it started: it has just doubled past what the vault
            // admits, and a vault limited by rate (not by requests in flight) refuses every request of the overshoot.
            // Later round trips of 429s cut it by a tenth.
            _limit = _slowStart && _limit > _initial ? _initial : Math.Max(1, _limit * Decrease);
            _lastCut = now;
        }

        _slowStart = false;
    }

    /// <summary>A request was answered 2xx after <paramref name="latency"/> seconds: the baseline moves, a ramp goes on.</summary>
    public void Answered(double latency)
    {
        _successes++;
        _baseline = latency < _baseline ? latency : _baseline + ((latency - _baseline) * BaselineDrift);
        if (_ramp < double.MaxValue && ++_ramp >= _limit)
        {
            _ramp = double.MaxValue; // ramped up to the limit: the ramp is over
        }
    }

    /// <summary>After <see cref="Answered"/>: grows the window for a request sent at <paramref name="sent"/> that was answered fast while the vault was open.</summary>
    public void Grow(long sent, double latency, bool holding)
    {
        if (holding || sent <= _lastCut)
        {
            return;
        }

        if (latency <= _baseline * FastFactor)
        {
            _limit = Math.Min(_max, _limit + (_slowStart ? 1 : 1 / _limit));
        }
        else
        {
            _slowStart = false; // answers slow down: the vault, the network or this machine is busy
        }
    }

    /// <summary>
    /// The vault reopened after a hold. After a refused probe (its window stayed shut: a fleet, or a long window) the
    /// window ramps up, one more request in flight per success, rather than meeting a window that has only just begun to
    /// admit again with every held request at once. It ramps from what this client's own use of the window suggests: an
    /// eighth of its successes since it last reopened (a client that filled the vault's window itself comes back near its
    /// limit, as the requests it sent leave the window), and from two when others filled it (a fleet's host, a few
    /// successes of its own).
    /// </summary>
    public void Reopened(bool afterRefusedProbe)
    {
        _ramp = afterRefusedProbe ? Math.Max(2, Math.Min(_limit, Math.Floor(_successes * OwnShare))) : double.MaxValue;
        _successes = 0;
    }
}
