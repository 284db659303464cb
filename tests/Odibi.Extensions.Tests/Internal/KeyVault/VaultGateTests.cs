using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

public class VaultGateTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task EnterAsync_AtLimit_WaitsInOrderUntilALeaseEnds()
    {
        var gate = PrimedGate(2);
        var first = await gate.EnterAsync(default);
        await gate.EnterAsync(default);

        var third = gate.EnterAsync(default).AsTask();
        var fourth = gate.EnterAsync(default).AsTask();
        Assert.Equal(2, gate.Waiting); // (a task admitted a moment ago may not show it yet: count the waiters)

        gate.Exit(first, VaultAnswer.Success);
        await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, gate.Waiting);
        Assert.False(fourth.IsCompleted);
    }

    [Fact]
    public async Task EnterAsync_NotPrimed_OneGoesAloneUntilARequestCarriesAToken()
    {
        var gate = new VaultGate(10, Timing(), _time);
        var primer = await gate.EnterAsync(default);
        var rest = Enumerable.Range(0, 5).Select(_ => gate.EnterAsync(default).AsTask()).ToList();
        Assert.True(primer.Primer);
        Assert.Equal(5, gate.Waiting);

        await SendAsync(gate, bearer: false); // the challenge request: no token yet
        Assert.Equal(5, gate.Waiting);
        await SendAsync(gate, bearer: true); // the first request with a token: the challenge is cached

        var released = await Task.WhenAll(rest).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.All(released, r => Assert.False(r.Primer));
        Assert.True(gate.IsPrimed);
    }

    [Fact]
    public async Task EnterAsync_PrimerUnansweredForThePatience_NextWaiterPrimesToo()
    {
        var gate = new VaultGate(10, Timing(), _time);
        Assert.True((await gate.EnterAsync(default)).Primer); // and its connection hangs: no answer at all
        var rest = Enumerable.Range(0, 3).Select(_ => gate.EnterAsync(default).AsTask()).ToList();

        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(3, gate.Waiting);
        _time.Advance(TimeSpan.FromMilliseconds(2));
        Assert.True((await rest[0].WaitAsync(TimeSpan.FromSeconds(5))).Primer);
        Assert.Equal(2, gate.Waiting);

        await SendAsync(gate, bearer: true); // the second primer's request carries the token
        await Task.WhenAll(rest).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task EnterAsync_PrimerChallengedAndWaitingForItsToken_NoSecondPrimer()
    {
        var gate = new VaultGate(10, Timing(), _time);
        await gate.EnterAsync(default);
        var rest = Enumerable.Range(0, 3).Select(_ => gate.EnterAsync(default).AsTask()).ToList();
        await SendAsync(gate, bearer: false); // the vault answered (its challenge): the token is what is slow

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, gate.Waiting); // (a task admitted a moment ago may not show it yet: count the waiters)
        await SendAsync(gate, bearer: true);
        await Task.WhenAll(rest).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Exit_PrimerEndsWithoutToken_NextWaiterPrimesInstead()
    {
        var gate = new VaultGate(10, Timing(), _time);
        var primer = await gate.EnterAsync(default);
        var second = gate.EnterAsync(default).AsTask();
        var third = gate.EnterAsync(default).AsTask();

        gate.Exit(primer, VaultAnswer.None); // e.g. connection refused

        Assert.True((await second.WaitAsync(TimeSpan.FromSeconds(5))).Primer);
        Assert.Equal(1, gate.Waiting);
    }

    [Fact]
    public async Task Exit_Throttled_HoldsTheVaultThenOneProbeReopensIt()
    {
        var gate = PrimedGate(10);
        var refused = await gate.EnterAsync(default);
        var inFlight = await gate.EnterAsync(default);
        _time.Advance(TimeSpan.FromMilliseconds(50));
        gate.Exit(refused, VaultAnswer.Throttled);
        var waiting = Enumerable.Range(0, 5).Select(_ => gate.EnterAsync(default).AsTask()).ToList();

        _time.Advance(TimeSpan.FromMilliseconds(499)); // the first hold is at least half of 1 s
        Assert.True(gate.IsHolding);
        Assert.Equal(5, gate.Waiting);
        gate.Exit(inFlight, VaultAnswer.Success); // sent before the 429: says nothing about the window
        Assert.True(gate.IsHolding);
        Assert.Equal(9, gate.Limit);

        _time.Advance(TimeSpan.FromMilliseconds(501)); // at most 1 s: the probe goes, alone
        var probe = await waiting[0].WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(probe.Probe);
        Assert.Equal(4, gate.Waiting);

        gate.Exit(probe, VaultAnswer.Success); // the first probe succeeded: a short window, every held read goes
        Assert.False(gate.IsHolding);
        var reopened = await Task.WhenAll(waiting.Skip(1)).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.All(reopened, r => Assert.False(r.Probe));
    }

    [Fact]
    public async Task EnterAsync_ProbeUnanswered_NextWaiterProbesAfterThePatience()
    {
        var gate = PrimedGate(10);
        gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled);
        var waiting = Enumerable.Range(0, 3).Select(_ => gate.EnterAsync(default).AsTask()).ToList();
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await waiting[0].WaitAsync(TimeSpan.FromSeconds(5))).Probe); // and then hangs

        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(2, gate.Waiting);
        _time.Advance(TimeSpan.FromMilliseconds(2)); // 2 s without an answer: a second probe goes
        var second = await waiting[1].WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(second.Probe);
        Assert.Equal(1, gate.Waiting);

        gate.Exit(second, VaultAnswer.Success);
        Assert.False(gate.IsHolding);
        await waiting[2].WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Exit_ProbeReopensAfterARefusedProbe_RampsUpOnePerSuccessInsteadOfReleasingEveryHeldRequest()
    {
        var gate = PrimedGate(10);
        gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled);
        var waiting = Enumerable.Range(0, 9).Select(_ => gate.EnterAsync(default).AsTask()).ToList();
        _time.Advance(TimeSpan.FromSeconds(1));
        gate.Exit(await waiting[0].WaitAsync(TimeSpan.FromSeconds(5)), VaultAnswer.Throttled); // the window stays shut
        waiting[0] = gate.EnterAsync(default).AsTask(); // the refused read waits again, last
        waiting = [.. waiting.Skip(1), waiting[0]];
        _time.Advance(TimeSpan.FromSeconds(2));
        var probe = await waiting[0].WaitAsync(TimeSpan.FromSeconds(5));

        gate.Exit(probe, VaultAnswer.Success); // two in flight after the probe
        var first = await Task.WhenAll(waiting.Skip(1).Take(2)).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(6, gate.Waiting);

        gate.Exit(first[0], VaultAnswer.Success); // three allowed, one still in flight: two more go
        var second = await Task.WhenAll(waiting.Skip(3).Take(2)).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(4, gate.Waiting);

        foreach (var lease in new[] { first[1], second[0], second[1] })
        {
            gate.Exit(lease, VaultAnswer.Success); // four, five, six allowed: every waiter goes
        }

        var rest = await Task.WhenAll(waiting.Skip(5)).WaitAsync(TimeSpan.FromSeconds(5));
        foreach (var lease in rest)
        {
            gate.Exit(lease, VaultAnswer.Success); // seven, eight, nine: the limit (cut to 9 by the 429), the ramp is over
        }

        var full = Enumerable.Range(0, gate.Limit).Select(_ => gate.EnterAsync(default).AsTask()).ToList();
        Assert.Equal(0, gate.Waiting); // the whole limit in flight at once again
        await Task.WhenAll(full).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Exit_ProbeThrottledAgain_HoldsLongerUpToTheCap()
    {
        var gate = PrimedGate(10);
        gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled);
        _time.Advance(TimeSpan.FromSeconds(1));
        var probe = await gate.EnterAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        gate.Exit(probe, VaultAnswer.Throttled); // second 429 in a row: hold 1-2 s
        var next = gate.EnterAsync(default).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(1, gate.Waiting);
        _time.Advance(TimeSpan.FromMilliseconds(1001));
        Assert.True((await next.WaitAsync(TimeSpan.FromSeconds(5))).Probe);
    }

    [Fact]
    public async Task Exit_ThrottledWithRetryAfter_ProbesNoSoonerThanIt()
    {
        var gate = PrimedGate(10);
        gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled, TimeSpan.FromSeconds(3));
        var next = gate.EnterAsync(default).AsTask();

        _time.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.Equal(1, gate.Waiting);
        _time.Advance(TimeSpan.FromMilliseconds(501)); // Retry-After plus at most half the 1 s hold
        Assert.True((await next.WaitAsync(TimeSpan.FromSeconds(5))).Probe);
    }

    [Fact]
    public async Task Exit_Throttled_ProbeTimerFiresEarly_StillProbes()
    {
        var early = new EarlyTimers(_time);
        var gate = new VaultGate(10, Timing(), early);
        await SendAsync(gate, bearer: true);
        gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled);
        var next = gate.EnterAsync(default).AsTask();

        for (var i = 0; i < 1100 && gate.Waiting > 0; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.True((await next.WaitAsync(TimeSpan.FromSeconds(5))).Probe);
    }

    [Fact]
    public async Task EnterAsync_ProbeTimerFiredEarlyWithNobodyWaiting_LaterReadStillProbes()
    {
        var early = new EarlyTimers(_time);
        var gate = new VaultGate(10, Timing(), early);
        await SendAsync(gate, bearer: true);
        gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled); // held 0.5-1 s; nobody waits
        for (var i = 0; i < 1100 && early.Fired == 0; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(1, early.Fired); // the hold's timer has fired, 1 ms before the probe is due
        Assert.True(gate.IsHolding);
        var next = gate.EnterAsync(default).AsTask();
        Assert.Equal(1, gate.Waiting);
        _time.Advance(TimeSpan.FromMilliseconds(5));

        Assert.Equal(0, gate.Waiting);
        Assert.True((await next.WaitAsync(TimeSpan.FromSeconds(5))).Probe);
    }

    [Fact]
    public async Task Exit_FiftyVaultsRefusedAtOnce_ProbesAreSpread()
    {
        // 50 hosts refused in the same instant, each with its own gate: their probes must not come back together.
        var timing = Timing(11);
        var gates = Enumerable.Range(0, 50).Select(_ => new VaultGate(10, timing, _time)).ToList();
        var probes = new List<Task<VaultLease>>();
        foreach (var gate in gates)
        {
            gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled);
            probes.Add(gate.EnterAsync(default).AsTask());
        }

        var admittedAt = new Dictionary<int, int>(); // probe → ms after the refusal
        for (var ms = 0; ms <= 1010; ms += 10)
        {
            for (var i = 0; i < probes.Count; i++)
            {
                if (gates[i].Waiting == 0 && !admittedAt.ContainsKey(i))
                {
                    admittedAt[i] = ms;
                }
            }

            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        await Task.WhenAll(probes).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(50, admittedAt.Count);
        var perBucket = admittedAt.Values.GroupBy(ms => ms / 100).Select(g => g.Count()).ToList();
        Assert.True(perBucket.Count >= 5, $"probes in {perBucket.Count} buckets of 100 ms");
        Assert.True(perBucket.Max() <= 20, $"{perBucket.Max()} of 50 probes in one 100 ms bucket");
        Assert.True(admittedAt.Values.Min() >= 490, "a probe came back before half the hold");
    }

    [Fact]
    public void TransientDelay_FiftyRefusals_SpreadOverTheDoublingDelay()
    {
        var timing = new RetryTiming { Random = new Random(7) };

        var first = Enumerable.Range(0, 50).Select(_ => timing.TransientDelay(1)).ToList();
        var fifth = Enumerable.Range(0, 50).Select(_ => timing.TransientDelay(5)).ToList();

        Assert.All(first, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromMilliseconds(500)));
        Assert.All(fifth, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(4))); // capped
        Assert.True(first.Distinct().Count() >= 45);
        Assert.True(fifth.Max() - fifth.Min() >= TimeSpan.FromSeconds(2), "fifth retries not spread over the capped delay");
    }

    [Fact]
    public async Task Exit_BurstOf429_CutsOnceThenGrowsBackToMax()
    {
        var gate = PrimedGate(10);
        var sent = new List<VaultLease>();
        for (var i = 0; i < 10; i++)
        {
            sent.Add(await gate.EnterAsync(default));
        }

        _time.Advance(TimeSpan.FromMilliseconds(100));
        gate.Exit(sent[0], VaultAnswer.Throttled);
        var probe = gate.EnterAsync(default).AsTask();
        foreach (var s in sent.Skip(1))
        {
            gate.Exit(s, VaultAnswer.Throttled); // all sent before the cut: one cut
        }

        Assert.Equal(9, gate.Limit);
        _time.Advance(TimeSpan.FromSeconds(2));
        gate.Exit(await probe.WaitAsync(TimeSpan.FromSeconds(5)), VaultAnswer.Success);

        await RoundTripsAsync(gate, 50, TimeSpan.FromMilliseconds(100));
        Assert.Equal(10, gate.Limit); // grew back, and never past the maximum
    }

    [Fact]
    public async Task Exit_SlowAnswers_DoNotGrow()
    {
        var gate = PrimedGate(10);
        await RoundTripsAsync(gate, 5, TimeSpan.FromMilliseconds(100)); // baseline 100 ms
        await CutAsync(gate);

        await RoundTripsAsync(gate, 10, TimeSpan.FromMilliseconds(400)); // 4× the baseline: the vault is struggling

        Assert.Equal(9, gate.Limit);
    }

    [Fact]
    public async Task Exit_OneUnusuallyFastAnswerThenSteadyOnes_LimitStillRecovers()
    {
        var gate = PrimedGate(10);
        await RoundTripsAsync(gate, 1, TimeSpan.FromMilliseconds(5));
        await RoundTripsAsync(gate, 200, TimeSpan.FromMilliseconds(8));
        await CutAsync(gate);
        Assert.Equal(9, gate.Limit);

        await RoundTripsAsync(gate, 200, TimeSpan.FromMilliseconds(8));

        Assert.Equal(10, gate.Limit); // the 5 ms answer did not set the bar for good
    }

    [Fact]
    public async Task Exit_Throttled_ProbeTimerFiresAHairEarlyAndTheDueTimePassesWhileItRuns_StillProbes()
    {
        var clock = new CrossingClock(_time);
        var gate = new VaultGate(10, Timing(), clock);
        await SendAsync(gate, bearer: true);
        gate.Exit(await gate.EnterAsync(default), VaultAnswer.Throttled);
        var next = gate.EnterAsync(default).AsTask();

        for (var i = 0; i < 1100 && gate.Waiting > 0; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(0, gate.Waiting); // the vault was not left held with no timer to probe it
        Assert.True((await next.WaitAsync(TimeSpan.FromSeconds(5))).Probe);
    }

    [Fact]
    public async Task EnterAsync_WaiterCanceled_DoesNotLeakItsLease()
    {
        var gate = PrimedGate(1);
        var held = await gate.EnterAsync(default);
        using var cancel = new CancellationTokenSource();
        var waiting = gate.EnterAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        gate.Exit(held, VaultAnswer.Success);

        Assert.True(gate.EnterAsync(default).AsTask().IsCompletedSuccessfully); // the only lease is free again
    }

    /// <summary>A first hold of 0.5–1 s, doubling to 1–2 s, whatever the library's defaults.</summary>
    private static RetryTiming Timing(int seed = 1) =>
        new() { ThrottleBase = TimeSpan.FromSeconds(1), ThrottleCap = TimeSpan.FromSeconds(2), Random = new Random(seed) };

    private static async Task SendAsync(VaultGate gate, bool bearer)
    {
        var pipeline = HttpPipelineBuilder.Build(new PipelineOptions { Transport = new NoContentTransport() }, gate.Observer);
        var message = pipeline.CreateMessage();
        message.Request.Uri.Reset(new Uri("https://kv.vault.azure.net/secrets/k"));
        if (bearer)
        {
            message.Request.Headers.SetValue(HttpHeader.Names.Authorization, "Bearer token");
        }

        await pipeline.SendAsync(message, default);
    }

    private VaultGate PrimedGate(int max)
    {
        var gate = new VaultGate(max, Timing(), _time);
        SendAsync(gate, bearer: true).GetAwaiter().GetResult();
        return gate;
    }

    private async Task RoundTripsAsync(VaultGate gate, int count, TimeSpan latency)
    {
        for (var i = 0; i < count; i++)
        {
            var lease = await gate.EnterAsync(default);
            _time.Advance(latency);
            gate.Exit(lease, VaultAnswer.Success);
        }
    }

    private async Task CutAsync(VaultGate gate)
    {
        var refused = await gate.EnterAsync(default);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        gate.Exit(refused, VaultAnswer.Throttled);
        _time.Advance(TimeSpan.FromSeconds(2));
        var probe = await gate.EnterAsync(default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(1)); // a slow probe: reopens the vault without growing the limit
        gate.Exit(probe, VaultAnswer.Success);
    }

    /// <summary>The fake clock, with timers that fire 1 ms before they are due, as a coarse system timer can.</summary>
    /// <summary>
    /// The fake clock, with timers that fire 1 ms before they are due and a clock that, inside a timer's callback, has
    /// moved 2 ms on from its first reading by its second: a real timer firing a hair early, then time passing.
    /// </summary>
    private sealed class CrossingClock(FakeTimeProvider time) : TimeProvider
    {
        private int _readsInCallback = -1;

        public override long TimestampFrequency => time.TimestampFrequency;

        public override long GetTimestamp() =>
            time.GetTimestamp() + (_readsInCallback >= 0 && _readsInCallback++ > 0 ? time.TimestampFrequency / 500 : 0);

        public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            time.CreateTimer(
                s =>
                {
                    _readsInCallback = 0;
                    callback(s);
                    _readsInCallback = -1;
                },
                state,
                dueTime > TimeSpan.FromMilliseconds(1) ? dueTime - TimeSpan.FromMilliseconds(1) : dueTime,
                period);
    }

    private sealed class EarlyTimers(FakeTimeProvider time) : TimeProvider
    {
        private int _fired;

        /// <summary>Gets how many timers have fired.</summary>
        public int Fired => Volatile.Read(ref _fired);

        public override long TimestampFrequency => time.TimestampFrequency;

        public override long GetTimestamp() => time.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            time.CreateTimer(
                s =>
                {
                    Interlocked.Increment(ref _fired);
                    callback(s);
                },
                state,
                dueTime > TimeSpan.FromMilliseconds(1) ? dueTime - TimeSpan.FromMilliseconds(1) : dueTime,
                period);
    }

    private sealed class PipelineOptions : ClientOptions;

    private sealed class NoContentTransport : HttpPipelineTransport
    {
        public override Request CreateRequest() => new HttpClientTransport().CreateRequest();

        public override void Process(HttpMessage message) => throw new NotSupportedException();

        public override ValueTask ProcessAsync(HttpMessage message)
        {
            message.Response = new NoContentResponse();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class NoContentResponse : Response
    {
        public override int Status => 204;

        public override string ReasonPhrase => "No Content";

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; } = "";

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => false;

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => [];

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
        {
            value = null;
            return false;
        }

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = null;
            return false;
        }
    }
}
