using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Odibi.Extensions.Internal.Telemetry;

/// <summary>The package's ActivitySource and Meter, both named <c>Odibi.Extensions</c>. Tags never carry a secret.</summary>
internal sealed class OdibiTelemetry
{
    public const string Name = "Odibi.Extensions";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Histogram<double> _fetchDuration;
    private readonly Histogram<double> _prefetchDuration;

    public OdibiTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _fetchDuration = meter.CreateHistogram<double>("odibi.secret.fetch.duration", "s",
            "Duration of preparing one connection: its Key Vault secret or identity token.");
        _prefetchDuration = meter.CreateHistogram<double>("odibi.prefetch.duration", "s",
            "Duration of a whole prefetch of the connections' secrets.");
    }

    public void RecordFetch(KeyVaultFetchResult result)
    {
        var tags = new TagList
        {
            { "odibi.connection", result.ConnectionName },
            { "odibi.vault", result.KeyVaultUri?.Host },
        };
        if (result.Error is { } error)
        {
            tags.Add("error.type", ErrorType(error));
        }

        _fetchDuration.Record(result.Duration.TotalSeconds, tags);
    }

    public void RecordPrefetch(PrefetchReport report)
    {
        var tags = new TagList { { "odibi.connections", report.Results.Count } };
        if (!report.AllSucceeded)
        {
            tags.Add("error.type", "connection_failed");
        }

        _prefetchDuration.Record(report.Elapsed.TotalSeconds, tags);
    }

    /// <summary>The type of the root cause, e.g. <c>Azure.RequestFailedException</c> or <c>System.TimeoutException</c>.</summary>
    public static string ErrorType(Exception error) =>
        (error is InvalidOperationException { InnerException: { } inner } ? inner : error).GetType().FullName ?? "_OTHER";
}
