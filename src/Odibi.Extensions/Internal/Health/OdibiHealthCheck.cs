using Microsoft.Extensions.Diagnostics.HealthChecks;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.Health;

/// <summary>
/// Reports every connection: Healthy when all are ready; Degraded when only optional connections failed or a refresh is
/// failing on a last good value; the registration's failure status when a required connection failed or is not ready
/// yet (a background prefetch still running). Data has one entry per connection, never a secret.
/// </summary>
internal sealed class OdibiHealthCheck(AdlsConnections connections, OdibiStartupService? startup = null) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var notReady = new List<string>();
        var required = false;
        var degraded = false;
        foreach (var connection in connections)
        {
            var status = connection.Status;
            data[connection.Name] = Describe(connection, status);
            switch (status)
            {
                case ConnectionStatus.Ready:
                    break;
                case ConnectionStatus.Degraded:
                    degraded = true;
                    notReady.Add($"{connection.Name} (refresh failing, last good secret served)");
                    break;
                case ConnectionStatus.Failed when connection.Optional:
                    degraded = true;
                    notReady.Add($"{connection.Name} (optional, failed)");
                    break;
                case ConnectionStatus.Failed:
                    required = true;
                    notReady.Add($"{connection.Name} (failed)");
                    break;
                default:
                    required = true;
                    notReady.Add(startup?.BackgroundPrefetchRunning == true ? $"{connection.Name} (prefetch running)" : $"{connection.Name} (not fetched yet)");
                    break;
            }
        }

        var ready = connections.Count(c => c.Status == ConnectionStatus.Ready);
        var description = notReady.Count == 0
            ? $"{ready} of {connections.Count} connections ready."
            : $"{ready} of {connections.Count} connections ready; not ready: {string.Join(", ", notReady)}.";

        var overall = required ? context.Registration.FailureStatus : degraded ? HealthStatus.Degraded : HealthStatus.Healthy;
        return Task.FromResult(new HealthCheckResult(overall, description, data: data));
    }

    private static Dictionary<string, object?> Describe(AdlsConnection connection, ConnectionStatus status) => new(StringComparer.Ordinal)
    {
        ["status"] = status.ToString(),
        ["authMode"] = connection.AuthMode.ToString(),
        ["optional"] = connection.Optional,
        ["durationMs"] = connection.LastDuration is { } duration ? Math.Round(duration.TotalMilliseconds, 1) : null,
        ["error"] = connection.LastError is { } error ? $"{OdibiTelemetry.ErrorType(error)}: {error.Message}" : null,
    };
}
