using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

public class AdaptiveConcurrencyLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task EnterAsync_AtLimit_WaitsInOrderUntilASlotFrees()
    {
        var limiter = new AdaptiveConcurrencyLimiter(2, _time);
        var first = await limiter.EnterAsync(default);
        await limiter.EnterAsync(default);

        var third = limiter.EnterAsync(default).AsTask();
        var fourth = limiter.EnterAsync(default).AsTask();
        Assert.False(third.IsCompleted);

        limiter.Exit(first, 200, null);
        await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(fourth.IsCompleted);
    }

    [Fact]
    public async Task Exit_BurstOf429_CutsOnceThenGrowsBackToMax()
    {
        var limiter = new AdaptiveConcurrencyLimiter(10, _time);
        var sent = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            sent.Add(await limiter.EnterAsync(default));
        }

        _time.Advance(TimeSpan.FromMilliseconds(100));
        foreach (var s in sent)
        {
            limiter.Exit(s, 429, TimeSpan.FromSeconds(1)); // all sent before the cut: one cut
        }

        Assert.Equal(9, limiter.Limit);

        _time.Advance(TimeSpan.FromSeconds(1)); // past Retry-After
        for (var round = 0; round < 50 && limiter.Limit < 10; round++)
        {
            var s = await limiter.EnterAsync(default);
            _time.Advance(TimeSpan.FromMilliseconds(100));
            limiter.Exit(s, 200, null);
        }

        Assert.Equal(10, limiter.Limit); // grew back, and never past the maximum
        var again = await limiter.EnterAsync(default);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.Exit(again, 200, null);
        Assert.Equal(10, limiter.Limit);
    }

    [Fact]
    public async Task Exit_SuccessWithinRetryAfter_DoesNotGrow()
    {
        var limiter = new AdaptiveConcurrencyLimiter(10, _time);
        var throttled = await limiter.EnterAsync(default);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.Exit(throttled, 429, TimeSpan.FromSeconds(2));

        var s = await limiter.EnterAsync(default);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.Exit(s, 200, null);

        Assert.Equal(9, limiter.Limit);
    }

    [Fact]
    public async Task EnterAsync_WaiterCanceled_DoesNotLeakItsSlot()
    {
        var limiter = new AdaptiveConcurrencyLimiter(1, _time);
        var held = await limiter.EnterAsync(default);
        using var cancel = new CancellationTokenSource();
        var waiting = limiter.EnterAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        limiter.Exit(held, 200, null);

        var next = limiter.EnterAsync(default).AsTask();
        Assert.True(next.IsCompletedSuccessfully); // the only slot is free again
    }
}
