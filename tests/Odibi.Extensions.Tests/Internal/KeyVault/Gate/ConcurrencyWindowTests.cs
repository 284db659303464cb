using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Tests.Internal.KeyVault.Gate;

public class ConcurrencyWindowTests
{
    private long _clock = 1_000;

    [Theory]
    [InlineData(1024, ConcurrencyWindow.InitialWindow)]
    [InlineData(100, 100)]
    [InlineData(1, 1)]
    public void NewWindow_StartsAtTheInitialWindowOrTheMaximumWhenLower(int max, int expected)
    {
        Assert.Equal(256, ConcurrencyWindow.InitialWindow);
        Assert.Equal(expected, new ConcurrencyWindow(max).Limit);
    }

    [Fact]
    public void FastSuccesses_DoubleTheWindowPerRoundTrip_UpToTheMaximum()
    {
        var window = new ConcurrencyWindow(2048);

        RoundTrip(window, 0.05); // 256 answers: 512
        Assert.Equal(512, window.Limit);
        RoundTrip(window, 0.05);
        Assert.Equal(1024, window.Limit);
        RoundTrip(window, 0.05);
        Assert.Equal(2048, window.Limit);
        RoundTrip(window, 0.05);
        Assert.Equal(2048, window.Limit); // never past the maximum
        Assert.True(window.InSlowStart);
    }

    [Fact]
    public void A429_EndsSlowStartAtTheInitialWindow_ThenATenthPerRoundTripOf429s_AndAboutOneMorePerRoundTrip()
    {
        var window = new ConcurrencyWindow(4000);
        RoundTrip(window, 0.05);
        RoundTrip(window, 0.05);
        Assert.Equal(1024, window.Limit);

        var sent = _clock;
        _clock += 10;
        window.Throttled(sent, _clock);
        Assert.False(window.InSlowStart);
        Assert.Equal(256, window.Limit); // the overshoot undone: back where it started

        sent = ++_clock;
        _clock += 10;
        window.Throttled(sent, _clock);
        Assert.Equal(230, window.Limit); // 256 × 0.9

        RoundTrip(window, 0.05);
        Assert.Equal(231, window.Limit);
    }

    [Fact]
    public void ASlowAnswer_EndsSlowStart()
    {
        var window = new ConcurrencyWindow(4000);
        RoundTrip(window, 0.05); // baseline 50 ms

        Answer(window, 0.2); // 4× the baseline: the vault, the network or the machine is busy

        Assert.False(window.InSlowStart);
        RoundTrip(window, 0.05);
        Assert.InRange(window.Limit, 512, 514);
    }

    [Fact]
    public void Throttled_ManySentBeforeTheCut_CutOnce()
    {
        var window = new ConcurrencyWindow(10);
        var sent = _clock;
        _clock += 10;

        for (var i = 0; i < 10; i++)
        {
            window.Throttled(sent, _clock);
        }

        Assert.Equal(9, window.Limit);
    }

    [Fact]
    public void Admits_WhileReopenedAfterARefusedProbe_RampsFromTwo()
    {
        var window = new ConcurrencyWindow(10);

        window.Reopened(afterRefusedProbe: true);

        Assert.True(window.Admits(1));
        Assert.False(window.Admits(2));
        window.Answered(0.05);
        Assert.True(window.Admits(2));
        Assert.False(window.Admits(3));
    }

    [Fact]
    public void Reopened_AfterARefusedProbe_RampsFromAnEighthOfItsOwnSuccessesSinceItLastReopened()
    {
        // A client that filled the vault's window itself (400 successes before its 429s) comes back near its limit.
        var window = new ConcurrencyWindow(1024);
        for (var i = 0; i < 400; i++)
        {
            Answer(window, 0.05);
        }

        window.Throttled(_clock, ++_clock);
        Assert.Equal(ConcurrencyWindow.InitialWindow, window.Limit);
        window.Reopened(afterRefusedProbe: true);
        Assert.True(window.Admits(49));
        Assert.False(window.Admits(50)); // 400 / 8

        // Since that reopen only 24 successes: the next ramp starts from 3.
        for (var i = 0; i < 24; i++)
        {
            Answer(window, 0.05);
        }

        window.Reopened(afterRefusedProbe: true);
        Assert.True(window.Admits(2));
        Assert.False(window.Admits(3));
    }

    [Fact]
    public void Reopened_AfterARefusedProbe_NeverRampsFromAboveTheLimit()
    {
        var window = new ConcurrencyWindow(10);
        for (var i = 0; i < 1000; i++)
        {
            Answer(window, 0.05);
        }

        window.Reopened(afterRefusedProbe: true);

        Assert.True(window.Admits(9));
        Assert.False(window.Admits(10));
    }

    /// <summary>As many fast answers as the window holds, each sent now.</summary>
    private void RoundTrip(ConcurrencyWindow window, double latency)
    {
        var count = window.Limit;
        for (var i = 0; i < count; i++)
        {
            Answer(window, latency);
        }
    }

    private void Answer(ConcurrencyWindow window, double latency)
    {
        var sent = ++_clock;
        window.Answered(latency);
        window.Grow(sent, latency, holding: false);
    }
}
