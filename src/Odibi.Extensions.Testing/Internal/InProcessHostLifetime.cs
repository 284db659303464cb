using Microsoft.Extensions.Hosting;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// Replaces the console lifetime, so an in-process server neither handles Ctrl+C / SIGTERM for the test process nor
/// writes "Application started" messages: its owner starts and stops it.
/// </summary>
internal sealed class InProcessHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
