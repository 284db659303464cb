using Microsoft.Extensions.Diagnostics.HealthChecks;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Internal.Storage;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.Health;

/// <summary>
/// Reports every connection: Healthy when all are ready; Degraded when only optional connections failed or a refresh is
/// failing on a last good value; the registration's failure status when a required connection failed or is not ready
/// yet (a background prefetch still running). With <c>verifyStorage</c> it also checks each ready connection's container.
/// Data has one entry per connection, never a secret.
/// </summary>
internal sealed class OdibiHealthCheck(
    AdlsConnections connections,
    StorageVerifier verifier,
    bool verifyStorage,
    OdibiStartupService? startup = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var storage = verifyStorage
            ? (await verifier.VerifyAsync(connections.Where(c => c.Status is ConnectionStatus.Ready or ConnectionStatus.Degraded), cancellationToken)
                .ConfigureAwait(false)).Where(c => !c.Success).ToDictionary(c => c.Connection.Name, c => c.Error!, StringComparer.Ordinal)
            : [];
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var notReady = new List<string>();
        var required = false;
        var degraded = false;
        foreach (var connection in connections)
        {
            var status = connection.Status;
            storage.TryGetValue(connection.Name, out var storageError);
            data[connection.Name] = Describe(connection, status, storageError);
            if (storageError is not null)
            {
                required |= !connection.Optional;
                degraded |= connection.Optional;
                notReady.Add($"{connection.Name} (storage check failed)");
                continue;
            }

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

        var ready = connections.Count(c => c.Status == ConnectionStatus.Ready && !storage.ContainsKey(c.Name));
        var description = notReady.Count == 0
            ? $"{ready} of {connections.Count} connections ready."
            : $"{ready} of {connections.Count} connections ready; not ready: {string.Join(", ", notReady)}.";

        var overall = required ? context.Registration.FailureStatus : degraded ? HealthStatus.Degraded : HealthStatus.Healthy;
        return new HealthCheckResult(overall, description, data: data);
    }

    private static Dictionary<string, object?> Describe(AdlsConnection connection, ConnectionStatus status, Exception? storageError) => new(StringComparer.Ordinal)
    {
        ["status"] = status.ToString(),
        ["authMode"] = connection.AuthMode.ToString(),
        ["optional"] = connection.Optional,
        ["durationMs"] = connection.LastDuration is { } duration ? Math.Round(duration.TotalMilliseconds, 1) : null,
        ["error"] = (storageError ?? connection.LastError) is { } error ? $"{OdibiTelemetry.ErrorType(error)}: {error.Message}" : null,
    };
}
