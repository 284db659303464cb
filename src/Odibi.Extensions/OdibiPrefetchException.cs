using System.Text;

namespace Odibi.Extensions;

/// <summary>
/// Thrown when the host starts under <see cref="PrefetchPolicy.FailFast"/> and a connection that is not
/// <c>Optional</c> could not be prepared. The message lists every failed connection with its vault, secret and cause.
/// </summary>
public sealed class OdibiPrefetchException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="OdibiPrefetchException"/> class.</summary>
    /// <param name="report">The prefetch that failed.</param>
    public OdibiPrefetchException(PrefetchReport report)
        : base(Describe(report ?? throw new ArgumentNullException(nameof(report))))
    {
        Report = report;
    }

    /// <summary>Gets the prefetch report, with every connection's result.</summary>
    public PrefetchReport Report { get; }

    private static string Describe(PrefetchReport report)
    {
        var failed = report.Results.Where(r => !r.Success).ToList();
        var text = new StringBuilder()
            .Append("The host was not started: ").Append(failed.Count).Append(" of ").Append(report.Results.Count)
            .Append(" Odibi connections could not be prepared (Odibi:Prefetch:Policy is FailFast).");
        foreach (var result in failed)
        {
            text.AppendLine().Append("  - ").Append(result.Error?.Message ?? $"Connection '{result.ConnectionName}' failed.");
        }

        return text.AppendLine()
            .Append("Fix the causes above, mark a connection \"Optional\": true, or set Odibi:Prefetch:Policy to Degrade to start without it.")
            .ToString();
    }
}
