using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Internal.KeyVault.Gate;

/// <summary>
/// Decides when a request may go to one vault; every read of the vault passes it, one attempt per lease. It composes
/// three rules, all under one lock, waiters served in order: <see cref="GatePriming"/> (until the vault's challenge is
/// known, one request goes alone), <see cref="ConcurrencyWindow"/> (how many may be in flight) and
/// <see cref="ThrottleHold"/> (a 429 holds the vault until a probe succeeds). The gate owns the waiters, the one timer
/// that wakes them (a held vault's probe, a stalled primer's patience) and the pipeline policy that observes the requests.
/// </summary>
internal sealed class VaultGate
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource<VaultLease>> _waiters = new();
    private readonly RetryTiming _timing;
    private readonly TimeProvider _time;
    private readonly GatePriming _priming;
    private readonly ConcurrencyWindow _window;
    private readonly ThrottleHold _hold;
    private int _inFlight;
    private ITimer? _timer;

    public VaultGate(int maxConcurrency, RetryTiming timing, TimeProvider time, bool primed = false)
    {
        _timing = timing;
        _time = time;
        _priming = new GatePriming(timing, time, primed);
        _window = new ConcurrencyWindow(maxConcurrency);
        _hold = new ThrottleHold(timing, time);
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
                return _window.Limit;
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
    public bool IsPrimed => _priming.IsPrimed;

    /// <summary>Gets whether the vault is held after a 429.</summary>
    public bool IsHolding
    {
        get
        {
            lock (_lock)
            {
                return _hold.IsHolding;
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
            _priming.Ended(lease.Primer);
            switch (answer)
            {
                case VaultAnswer.Throttled:
                    _window.Throttled(lease.Sent, now);
                    if (_hold.Throttled(lease.Probe, now, retryAfter))
                    {
                        ArmTimer(_time.GetElapsedTime(_time.GetTimestamp(), _hold.ProbeAt));
                    }

                    break;

                case VaultAnswer.Success:
                    _window.Answered(latency);
                    Reopen(lease);
                    _window.Grow(lease.Sent, latency, _hold.IsHolding);
                    break;

                case VaultAnswer.Failed:
                    Reopen(lease); // answered, and not with a 429: the vault is not throttling
                    break;

                default:
                    _hold.Unanswered(lease.Probe, now);
                    break;
            }

            Pump(now);
        }
    }

    private void Reopen(VaultLease lease)
    {
        var (reopened, afterRefusedProbe) = _hold.Answered(lease.Probe);
        if (reopened)
        {
            _window.Reopened(afterRefusedProbe);
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void ArmTimer(TimeSpan due)
    {
        _timer?.Dispose();
        _timer = _time.CreateTimer(static state => ((VaultGate)state!).OnTimer(), this, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
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
        var due = _hold.IsHolding ? _hold.ProbeAt : _priming.Stalls ? _priming.Due : long.MinValue;
        if (now < due)
        {
            // Timers keep their own (coarser) clock and may fire a little early: wait the rest, and a millisecond.
            ArmTimer(_time.GetElapsedTime(now, due) + TimeSpan.FromMilliseconds(1));
        }
    }

    private void OnAuthorizedRequest()
    {
        if (_priming.IsPrimed)
        {
            return;
        }

        lock (_lock)
        {
            if (_priming.Authorized())
            {
                Pump(_time.GetTimestamp());
            }
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
        if (!_window.Admits(_inFlight) || _priming.Blocks(now) || _hold.Blocks(now))
        {
            return false;
        }

        var holding = _hold.IsHolding;
        lease = new VaultLease(now, Primer: _priming.Admit(now), Probe: _hold.Admit(now));
        _inFlight++;
        if (lease.Probe || (lease.Primer && !holding))
        {
            ArmTimer(_timing.ProbePatience); // a probe or a primer unanswered for this long lets the next waiter go too
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
            if (!gate._priming.HasAnswered && message.HasResponse)
            {
                gate._priming.Answered(); // the vault is reachable: a primer waiting for its token is not stalled
            }
        }

        private void Observe(HttpMessage message)
        {
            if (!gate._priming.IsPrimed && message.Request.Headers.TryGetValue(HttpHeader.Names.Authorization, out var value)
                && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                gate.OnAuthorizedRequest();
            }
        }
    }
}
