using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Tests.Internal.KeyVault.Gate;

public class ThrottleHoldTests
{
    private readonly FakeTimeProvider _time = new();

    private static RetryTiming Timing() => new()
    {
        ThrottleBase = TimeSpan.FromMilliseconds(100),
        ThrottleCap = TimeSpan.FromSeconds(4),
        ProbePatience = TimeSpan.FromSeconds(2),
        Random = new Random(7),
    };

    [Fact]
    public void Throttled_HoldsUntilTheProbeIsDue_ThenAdmitsOneProbe()
    {
        var hold = new ThrottleHold(Timing(), _time);
        var now = _time.GetTimestamp();

        Assert.True(hold.Throttled(probe: false, now, retryAfter: null));

        Assert.True(hold.IsHolding);
        Assert.True(hold.Blocks(now));
        var delay = _time.GetElapsedTime(now, hold.ProbeAt);
        Assert.InRange(delay, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100)); // equal jitter on 100 ms
        var due = hold.ProbeAt;
        Assert.False(hold.Blocks(due));
        Assert.True(hold.Admit(due));
        Assert.True(hold.Blocks(due)); // the probe out holds the rest for its patience
        Assert.Equal(TimeSpan.FromSeconds(2), _time.GetElapsedTime(due, hold.ProbeAt));
    }

    [Fact]
    public void Throttled_WhileHeldWithoutRetryAfter_DoesNotMoveTheProbe()
    {
        var hold = new ThrottleHold(Timing(), _time);
        hold.Throttled(probe: false, _time.GetTimestamp(), retryAfter: null);
        var probeAt = hold.ProbeAt;

        Assert.False(hold.Throttled(probe: false, _time.GetTimestamp(), retryAfter: null)); // one in flight before the hold

        Assert.Equal(probeAt, hold.ProbeAt);
    }

    [Fact]
    public void Throttled_WhileHeldWithRetryAfter_ProbesNoSoonerThanIt()
    {
        var hold = new ThrottleHold(Timing(), _time);
        var now = _time.GetTimestamp();
        hold.Throttled(probe: false, now, retryAfter: null);

        Assert.True(hold.Throttled(probe: false, now, TimeSpan.FromSeconds(3)));

        Assert.Equal(TimeSpan.FromSeconds(3), _time.GetElapsedTime(now, hold.ProbeAt));
    }

    [Fact]
    public void Answered_ProbeAfterARefusedProbe_ReopensAndSaysTheWindowStayedShut()
    {
        var hold = new ThrottleHold(Timing(), _time);
        hold.Throttled(probe: false, _time.GetTimestamp(), retryAfter: null);
        Assert.True(hold.Admit(hold.ProbeAt));
        hold.Throttled(probe: true, hold.ProbeAt, retryAfter: null);
        Assert.True(hold.Admit(hold.ProbeAt));

        var (reopened, afterRefused) = hold.Answered(probe: true);

        Assert.True(reopened);
        Assert.True(afterRefused);
        Assert.False(hold.IsHolding);
    }

    [Fact]
    public void Unanswered_TheOnlyProbe_NextWaiterProbesAtOnce()
    {
        var hold = new ThrottleHold(Timing(), _time);
        hold.Throttled(probe: false, _time.GetTimestamp(), retryAfter: null);
        var sent = hold.ProbeAt;
        Assert.True(hold.Admit(sent));
        Assert.True(hold.Blocks(sent));

        hold.Unanswered(probe: true, sent);

        Assert.False(hold.Blocks(sent));
        Assert.True(hold.IsHolding);
    }
}
