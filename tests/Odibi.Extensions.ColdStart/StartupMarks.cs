using Microsoft.Extensions.Hosting;

namespace Odibi.Extensions.ColdStart;

/// <summary>
/// Notes when the host's starting phase reaches it: registered after <c>AddOdibiConnections</c>, whose startup service
/// prefetches in its own <see cref="IHostedLifecycleService.StartingAsync"/>, that is when the prefetch is done.
/// Times are kept in memory and printed after the start, so no console write is timed.
/// </summary>
internal sealed class StartupMarks : IHostedLifecycleService
{
    public long PrefetchDone { get; private set; }

    public long HostStarted { get; set; }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        PrefetchDone = DateTime.UtcNow.Ticks;
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
