using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Internal;

/// <summary>Runs the startup work of the connections before the other hosted services start.</summary>
internal sealed class OdibiStartupService(
    AdlsConnections connections,
    ILogger<OdibiStartupService> logger,
    IHostEnvironment? environment = null) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (environment?.IsProduction() == true)
        {
            foreach (var connection in connections.Where(c => c.AuthMode == AdlsAuthMode.DirectKey))
            {
                Log.DirectKeyInProduction(logger, connection.Name);
            }
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
