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
    private readonly Histogram<double> _retryDuration;
    private readonly Histogram<double> _refreshDuration;
    private readonly Histogram<double> _probeDuration;

    public OdibiTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _fetchDuration = meter.CreateHistogram<double>("odibi.secret.fetch.duration", "s",
            "Duration of preparing one connection: its Key Vault secret or identity token.");
        _prefetchDuration = meter.CreateHistogram<double>("odibi.prefetch.duration", "s",
            "Duration of a whole prefetch of the connections' secrets.");
        _retryDuration = meter.CreateHistogram<double>("odibi.retry.duration", "s",
            "Duration of one background retry of the failed connections.");
        _refreshDuration = meter.CreateHistogram<double>("odibi.refresh.duration", "s",
            "Duration of one background refresh of the connections' secrets.");
        _probeDuration = meter.CreateHistogram<double>("odibi.probe.duration", "s",
            "Duration of one health probe of the ready connections' storage.");
    }

    /// <summary>The activity name of a pass: <c>odibi.prefetch</c>, <c>odibi.retry</c>, <c>odibi.refresh</c> or <c>odibi.probe</c>.</summary>
    public static string ActivityName(Hosting.CheckKind kind) => kind switch
    {
        Hosting.CheckKind.Startup => "odibi.prefetch",
        Hosting.CheckKind.Retry => "odibi.retry",
        Hosting.CheckKind.Refresh => "odibi.refresh",
        _ => "odibi.probe",
    };

    /// <summary>Records a pass's duration in its own histogram.</summary>
    public void RecordPass(Hosting.CheckKind kind, PrefetchReport report)
    {
        var histogram = kind switch
        {
            Hosting.CheckKind.Startup => _prefetchDuration,
            Hosting.CheckKind.Retry => _retryDuration,
            Hosting.CheckKind.Refresh => _refreshDuration,
            _ => _probeDuration,
        };
        var tags = new TagList { { "odibi.connections", report.Results.Count } };
        if (!report.AllSucceeded)
        {
            tags.Add("error.type", "connection_failed");
        }

        histogram.Record(report.Elapsed.TotalSeconds, tags);
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

    /// <summary>The type of the root cause, e.g. <c>Azure.RequestFailedException</c> or <c>System.TimeoutException</c>.</summary>
    public static string ErrorType(Exception error) =>
        (error is InvalidOperationException { InnerException: { } inner } ? inner : error).GetType().FullName ?? "_OTHER";
}
