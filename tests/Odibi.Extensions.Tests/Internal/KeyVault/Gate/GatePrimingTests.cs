using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Tests.Internal.KeyVault.Gate;

public class GatePrimingTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RetryTiming _timing = new() { ProbePatience = TimeSpan.FromSeconds(2) };

    [Fact]
    public void PrimedFromTheStart_NoRequestPrimesAndNoneWaits()
    {
        var priming = new GatePriming(_timing, _time, primed: true);
        var now = _time.GetTimestamp();

        Assert.False(priming.Admit(now));
        Assert.False(priming.Admit(now));
        Assert.False(priming.Blocks(now));
    }

    [Fact]
    public void NotPrimed_OnePrimerGoes_TheRestWaitUntilARequestCarriesAToken()
    {
        var priming = new GatePriming(_timing, _time, primed: false);
        var now = _time.GetTimestamp();

        Assert.True(priming.Admit(now));
        priming.Answered(); // the challenge came back: the primer now waits for its token
        Assert.True(priming.Blocks(now + 1));
        Assert.True(priming.Blocks(_time.AddToTimestamp(now, TimeSpan.FromSeconds(10)))); // answered, so not stalled

        Assert.True(priming.Authorized());

        Assert.False(priming.Blocks(now));
        Assert.False(priming.Authorized()); // once
    }

    [Fact]
    public void PrimerUnansweredForThePatience_NextWaiterPrimesToo()
    {
        var priming = new GatePriming(_timing, _time, primed: false);
        var now = _time.GetTimestamp();
        Assert.True(priming.Admit(now));

        Assert.True(priming.Stalls);
        Assert.True(priming.Blocks(_time.AddToTimestamp(now, TimeSpan.FromMilliseconds(1999))));
        Assert.False(priming.Blocks(_time.AddToTimestamp(now, TimeSpan.FromSeconds(2))));
    }

    [Fact]
    public void PrimerEndsWithoutAToken_NextWaiterPrimesInstead()
    {
        var priming = new GatePriming(_timing, _time, primed: false);
        var now = _time.GetTimestamp();
        Assert.True(priming.Admit(now));
        priming.Answered();

        priming.Ended(primer: true);

        Assert.False(priming.Blocks(now));
        Assert.True(priming.Admit(now));
    }
}
