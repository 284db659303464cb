using Microsoft.Extensions.Diagnostics.HealthChecks;
using Odibi.Extensions.Internal.Health;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Odibi connections health check to an <see cref="IHealthChecksBuilder"/>.</summary>
public static class OdibiHealthCheckBuilderExtensions
{
    /// <summary>
    /// Adds a health check that reports every Odibi connection: Healthy when all are ready, Degraded when only optional
    /// connections failed or a refresh is failing, and <paramref name="failureStatus"/> when a required connection
    /// failed or is not ready yet. Its data has one entry per connection (<c>status</c>, <c>authMode</c>,
    /// <c>durationMs</c>, <c>error</c>), never a secret. Adding it again with the same name adds nothing.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status when a required connection is not ready; <see langword="null"/> means <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by, e.g. <c>ready</c>.</param>
    /// <param name="verifyStorage">
    /// Whether each check also reads each ready connection's container properties (one storage call per connection). A
    /// connection whose probe fails becomes <see cref="Odibi.Extensions.ConnectionStatus.Failed"/> for every reader, and is retried in the background.
    /// </param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddOdibiConnections(
        this IHealthChecksBuilder builder,
        string name = "odibi-connections",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        bool verifyStorage = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        if (builder.Services.Any(d => d.ServiceType == typeof(OdibiHealthCheckRegistration) && Equals(d.ServiceKey, name)))
        {
            return builder;
        }

        builder.Services.AddKeyedSingleton(name, new OdibiHealthCheckRegistration());
        return builder.Add(new HealthCheckRegistration(
            name,
            services => ActivatorUtilities.CreateInstance<OdibiHealthCheck>(services, verifyStorage),
            failureStatus,
            tags));
    }
}
