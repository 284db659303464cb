using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Decides when a request may go to one vault; every read of the vault passes it, one attempt per lease. Three rules,
/// all under one lock, waiters served in order:
/// <list type="number">
/// <item><b>Priming.</b> Until the vault's challenge is known, one request goes alone (not for a vault whose requests
/// carry a token from the start, <see cref="PreAuthorization"/>: it has no challenge to wait for). Key Vault answers a client's
/// first request with a 401 challenge, which the SDK caches for the vault's host; only then does it ask for a token and
/// send the request again with it. <see cref="Observer"/>, a policy in the vault's own pipeline after the
/// authentication policy, sees that first request carrying a bearer token and opens the gate: the rest then go out with
/// the cached challenge and the shared token, so N secrets cost N + 1 requests and T + 2L. If the first request ends
/// without a token (an unreachable vault), the next waiter takes its place; if the vault has answered nothing after
/// <see cref="RetryTiming.ProbePatience"/> (a hung connection), the next waiter primes too.</item>
/// <item><b>Concurrency.</b> At most <c>limit</c> requests in flight, starting at <c>MaxConcurrency</c>: a 429 for a
/// request sent after the last cut multiplies it by 0.9 (one cut per round trip); a success of a request sent after the
/// last cut, while the vault is not held and with a latency within 1.5× the baseline, adds 1/limit (about one per round
/// trip). The baseline is the fastest latency seen, drifting up toward recent ones so that one unusually fast answer
/// does not stop the growth for good.</item>
/// <item><b>Throttle back-pressure.</b> A 429 holds the whole vault: no request goes until, after a jittered delay
/// (<see cref="RetryTiming.ThrottleDelay"/>, Retry-After plus jitter when sent), one probe goes; its success reopens the
/// vault, its 429 holds it again for longer; a probe unanswered after <see cref="RetryTiming.ProbePatience"/> (a hung
/// connection) lets the next waiting read probe too. The vault's limit is per window, not per request, so one refused request
/// says the others would be refused too. A vault reopened after a refused probe (its window stayed shut: a fleet, or a
/// long window) ramps up: two requests in flight after the probe, one more per success (doubling per round trip) until
/// the limit, so a window that has only just begun to admit again is not met with every held request at once. After a
/// first probe that succeeds (a short window), the held requests go at once, up to the limit, which the 429 cut.</item>
/// </list>
/// </summary>
internal sealed class VaultGate
{
    private const double Decrease = 0.9;
    private const double BaselineDrift = 1.0 / 16;

    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource<VaultLease>> _waiters = new();
    private readonly int _max;
    private readonly RetryTiming _timing;
    private readonly TimeProvider _time;
    private double _limit;
    private double _ramp = double.MaxValue; // in flight allowed while ramping up after a reopen; MaxValue when not ramping
    private int _inFlight;
    private long _lastCut = long.MinValue;
    private double _baseline = double.MaxValue; // seconds
    private volatile bool _primed;
    private int _primersOut;
    private long _primerDue;
    private volatile bool _answered;
    private bool _holding;
    private int _probesOut;
    private int _throttledInARow;
    private long _probeAt;
    private ITimer? _timer;

    public VaultGate(int maxConcurrency, RetryTiming timing, TimeProvider time, bool primed = false)
    {
        _primed = primed;
        _max = maxConcurrency;
        _limit = maxConcurrency;
        _timing = timing;
        _time = time;
        Observer = new BearerObserver(this);
    }

    /// <summary>Gets the policy to add to the vault's pipeline at <see cref="HttpPipelinePosition.PerRetry"/> (after authentication).</summary>
    public HttpPipelinePolicy Observer { get; }

    /// <summary>Gets the current limit on requests in flight.</summary>
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

    /// <summary>Gets how many requests are waiting to go.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>Gets whether a request has gone to the vault with a token, so its challenge is known.</summary>
    public bool IsPrimed => _primed;

    /// <summary>Gets whether the vault is held after a 429.</summary>
    public bool IsHolding
    {
        get
        {
            lock (_lock)
            {
                return _holding;
            }
        }
    }

    /// <summary>Waits until one request may go; pass the lease to <see cref="Exit"/> with the answer.</summary>
    public ValueTask<VaultLease> EnterAsync(CancellationToken cancellationToken) => EnterAsync(cancellationToken, async: true);

    /// <summary>Blocks until one request may go (for a synchronous read, whose thread then sends it); pass the lease to <see cref="Exit"/>.</summary>
    public VaultLease Enter(CancellationToken cancellationToken) =>
        EnterAsync(cancellationToken, async: false).GetAwaiter().GetResult(); // completes on this thread

    private async ValueTask<VaultLease> EnterAsync(CancellationToken cancellationToken, bool async)
    {
        LinkedListNode<TaskCompletionSource<VaultLease>> waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && TryAdmit(_time.GetTimestamp(), out var lease))
            {
                return lease;
            }

            waiter = _waiters.AddLast(new TaskCompletionSource<VaultLease>(TaskCreationOptions.RunContinuationsAsynchronously));
            if (_waiters.Count == 1)
            {
                ArmForWaiters(_time.GetTimestamp()); // a timer that fired early while nobody waited re-armed nothing
            }
        }

        try
        {
            if (async)
            {
                return await waiter.Value.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            waiter.Value.Task.Wait(cancellationToken); // woken by the thread that admits it; no continuation to schedule
            return waiter.Value.Task.Result;
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (waiter.List is not null)
                {
                    _waiters.Remove(waiter);
                    Pump(_time.GetTimestamp()); // whoever was queued behind it may go now
                    throw;
                }
            }

            Exit(waiter.Value.Task.Result, VaultAnswer.None); // admitted while being canceled: give the lease back
            throw;
        }
    }

    /// <summary>Ends a lease: the request was answered <paramref name="answer"/> (<paramref name="retryAfter"/> for a 429 that sent one).</summary>
    public void Exit(VaultLease lease, VaultAnswer answer, TimeSpan? retryAfter = null)
    {
        var now = _time.GetTimestamp();
        var latency = _time.GetElapsedTime(lease.Sent, now).TotalSeconds;
        lock (_lock)
        {
            _inFlight--;
            if (lease.Primer)
            {
                _primersOut--;
            }

            if (lease.Probe)
            {
                _probesOut--;
            }
            switch (answer)
            {
                case VaultAnswer.Throttled:
                    if (lease.Sent > _lastCut)
                    {
                        _limit = Math.Max(1, _limit * Decrease);
                        _lastCut = now;
                    }

                    if (!_holding || lease.Probe)
                    {
                        Hold(now, ++_throttledInARow, retryAfter);
                    }
                    else if (retryAfter is { } wait)
                    {
                        Hold(Math.Max(_probeAt, _time.AddToTimestamp(now, wait)), _throttledInARow, null, absolute: true);
                    }

                    break;

                case VaultAnswer.Success:
                    _baseline = latency < _baseline ? latency : _baseline + ((latency - _baseline) * BaselineDrift);
                    if (_ramp < double.MaxValue && ++_ramp >= _limit)
                    {
                        _ramp = double.MaxValue; // ramped up to the limit: the ramp is over
                    }

                    Reopen(lease);
                    if (!_holding && lease.Sent > _lastCut && latency <= _baseline * 1.5)
                    {
                        _limit = Math.Min(_max, _limit + (1 / _limit));
                    }

                    break;

                case VaultAnswer.Failed:
                    Reopen(lease); // answered, and not with a 429: the vault is not throttling
                    break;

                case VaultAnswer.None when lease.Probe && _probesOut == 0:
                    _probeAt = Math.Min(_probeAt, now); // the probe got no answer: the next waiter probes at once
                    break;
            }

            Pump(now);
        }
    }

    private void Hold(long from, int throttledInARow, TimeSpan? retryAfter, bool absolute = false)
    {
        _holding = true;
        _probeAt = absolute ? from : _time.AddToTimestamp(from, _timing.ThrottleDelay(throttledInARow, retryAfter));
        ArmTimer(_time.GetElapsedTime(_time.GetTimestamp(), _probeAt));
    }

    private void ArmTimer(TimeSpan due)
    {
        _timer?.Dispose();
        _timer = _time.CreateTimer(static state => ((VaultGate)state!).OnProbeDue(), this, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void Reopen(VaultLease lease)
    {
        if (lease.Probe)
        {
            _holding = false;
            _ramp = _throttledInARow > 1 ? 2 : double.MaxValue; // ramp only after a refused probe: the window stayed shut
            _throttledInARow = 0;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void OnProbeDue()
    {
        lock (_lock)
        {
            // One reading of the clock for both the admission and the re-arming: read twice, a timer that fired a hair
            // early could be refused by the first reading and not re-armed by the second, leaving the vault held for good.
            var now = _time.GetTimestamp();
            Pump(now);
            if (_waiters.Count > 0)
            {
                ArmForWaiters(now);
            }
        }
    }

    /// <summary>Arms the timer for what waiters wait for — a held vault's probe, a stalled primer's patience — if it is still ahead.</summary>
    private void ArmForWaiters(long now)
    {
        var due = _holding ? _probeAt : PrimerStalls ? _primerDue : long.MinValue;
        if (now < due)
        {
            // Timers keep their own (coarser) clock and may fire a little early: wait the rest, and a millisecond.
            ArmTimer(_time.GetElapsedTime(now, due) + TimeSpan.FromMilliseconds(1));
        }
    }

    /// <summary>Gets whether a primer is out and the vault has not answered anything yet (a second primer may go at <see cref="_primerDue"/>).</summary>
    private bool PrimerStalls => !_primed && _primersOut > 0 && !_answered;

    private void OnAuthorizedRequest()
    {
        if (_primed)
        {
            return;
        }

        lock (_lock)
        {
            _primed = true;
            Pump(_time.GetTimestamp());
        }
    }

    private void Pump(long now)
    {
        while (_waiters.First is { } next && TryAdmit(now, out var lease))
        {
            _waiters.RemoveFirst();
            next.Value.TrySetResult(lease);
        }
    }

    private bool TryAdmit(long now, out VaultLease lease)
    {
        lease = default;
        // A primer out holds the rest, unless the vault has answered nothing by its due time.
        var primerOut = !_primed && _primersOut > 0 && (_answered || now < _primerDue);
        if (_inFlight >= (int)Math.Min(_limit, _ramp) || primerOut || (_holding && now < _probeAt))
        {
            return false;
        }

        lease = new VaultLease(now, Primer: !_primed, Probe: _holding);
        _inFlight++;
        if (lease.Primer)
        {
            // The primer goes alone while the vault answers; if nothing comes back (a hung connection), the next waiter
            // primes too after the same patience as a probe's.
            _primersOut++;
            _primerDue = _time.AddToTimestamp(now, _timing.ProbePatience);
            if (!_holding)
            {
                ArmTimer(_timing.ProbePatience);
            }
        }

        if (lease.Probe)
        {
            // While the probe is out nothing else goes, unless it stays unanswered (a hung connection): then the next
            // waiter probes too, rather than every read of the vault waiting for its deadline behind it.
            _probesOut++;
            _probeAt = _time.AddToTimestamp(now, _timing.ProbePatience);
            ArmTimer(_timing.ProbePatience);
        }

        return true;
    }

    /// <summary>Sees the vault's requests after the authentication policy: the first one carrying a token primes the vault.</summary>
    private sealed class BearerObserver(VaultGate gate) : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Observe(message);
            ProcessNext(message, pipeline);
            Answered(message);
        }

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Observe(message);
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            Answered(message);
        }

        private void Answered(HttpMessage message)
        {
            if (!gate._answered && message.HasResponse)
            {
                gate._answered = true; // the vault is reachable: a primer waiting for its token is not stalled
            }
        }

        private void Observe(HttpMessage message)
        {
            if (!gate._primed && message.Request.Headers.TryGetValue(HttpHeader.Names.Authorization, out var value)
                && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                gate.OnAuthorizedRequest();
            }
        }
    }
}

/// <summary>One request's permission to go to a vault: when it was sent, and whether it is the vault's first (primer) or a probe after a 429.</summary>
internal readonly record struct VaultLease(long Sent, bool Primer, bool Probe);

/// <summary>How a vault answered a request.</summary>
internal enum VaultAnswer
{
    /// <summary>No answer: the request was canceled, or the connection failed.</summary>
    None,

    /// <summary>A 2xx answer.</summary>
    Success,

    /// <summary>A 429: the vault's request limit.</summary>
    Throttled,

    /// <summary>Any other answer.</summary>
    Failed,
}
