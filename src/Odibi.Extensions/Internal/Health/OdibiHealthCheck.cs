using Microsoft.Extensions.Diagnostics.HealthChecks;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.Health;

/// <summary>
/// Reports every connection: Healthy when all are ready; Degraded when only optional connections failed or a refresh is
/// failing on a last good value; the registration's failure status when a required connection failed or is not ready
/// yet (a background prefetch still running). With <c>verifyStorage</c> it first probes each ready connection's storage
/// through the connection's lifecycle, so a failed probe makes the connection Failed (and retried) for everyone, not
/// only for this report. Data has one entry per connection, never a secret.
/// </summary>
internal sealed class OdibiHealthCheck(
    AdlsConnections connections,
    bool verifyStorage,
    OdibiStartupService? startup = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (verifyStorage)
        {
            await connections.ProbeAsync(cancellationToken).ConfigureAwait(false);
        }

        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var notReady = new List<string>();
        var required = false;
        var degraded = false;
        var ready = 0;
        foreach (var connection in connections)
        {
            var state = connection.State;
            data[connection.Name] = Describe(connection, state);
            switch (state.Status)
            {
                case ConnectionStatus.Ready:
                    ready++;
                    break;
                case ConnectionStatus.Degraded:
                    degraded = true;
                    notReady.Add($"{connection.Name} (refresh failing, last good secret served)");
                    break;
                case ConnectionStatus.Failed:
                    required |= !connection.Optional;
                    degraded |= connection.Optional;
                    notReady.Add($"{connection.Name} ({(connection.Optional ? "optional, " : "")}{(IsStorageFailure(state) ? "storage check failed" : "failed")})");
                    break;
                default:
                    required = true;
                    notReady.Add(startup?.BackgroundPrefetchRunning == true ? $"{connection.Name} (prefetch running)" : $"{connection.Name} (not fetched yet)");
                    break;
            }
        }

        var description = notReady.Count == 0
            ? $"{ready} of {connections.Count} connections ready."
            : $"{ready} of {connections.Count} connections ready; not ready: {string.Join(", ", notReady)}.";

        var overall = required ? context.Registration.FailureStatus : degraded ? HealthStatus.Degraded : HealthStatus.Healthy;
        return new HealthCheckResult(overall, description, data: data);
    }

    private static bool IsStorageFailure(AdlsConnection.StatusRecord state) => state.FailedStep == CheckStep.Storage;

    private static Dictionary<string, object?> Describe(AdlsConnection connection, AdlsConnection.StatusRecord state) => new(StringComparer.Ordinal)
    {
        ["status"] = state.Status.ToString(),
        ["authMode"] = connection.AuthMode.ToString(),
        ["optional"] = connection.Optional,
        ["durationMs"] = state.Duration is { } duration ? Math.Round(duration.TotalMilliseconds, 1) : null,
        ["error"] = state.Error is { } error ? $"{OdibiTelemetry.ErrorType(error)}: {error.Message}" : null,
    };
}
