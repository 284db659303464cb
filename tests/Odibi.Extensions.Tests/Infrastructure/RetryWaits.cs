using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Odibi.Extensions.Tests.Infrastructure;

/// <summary>Waits for the background retry loop through its log, as an operator would see it: no hook in the product.</summary>
internal static class RetryWaits
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Completes once the retry loop has started its <paramref name="count"/>th wait: its <c>RetryWaiting</c> line is
    /// written after the wait's timer exists, so a fake clock moved after this fires it.
    /// </summary>
    public static async Task StartedAsync(IServiceProvider services, int count)
    {
        var logs = services.GetFakeLogCollector();
        using var patience = new CancellationTokenSource(Patience);
        while (logs.GetSnapshot().Count(r => r.Id.Name == "RetryWaiting") < count)
        {
            await Task.Delay(5, patience.Token);
        }
    }
}
