namespace Odibi.Extensions;

/// <summary>What a prefetch did: one result per connection that needs a secret or an identity token.</summary>
public sealed class PrefetchReport
{
    internal PrefetchReport(IReadOnlyList<KeyVaultFetchResult> results, TimeSpan elapsed)
    {
        Results = results;
        Elapsed = elapsed;
        Succeeded = results.Count(r => r.Success);
    }

    /// <summary>Gets one result per connection, in configuration order.</summary>
    public IReadOnlyList<KeyVaultFetchResult> Results { get; }

    /// <summary>Gets the wall-clock time of the whole prefetch.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets the number of connections made ready.</summary>
    public int Succeeded { get; }

    /// <summary>Gets the number of connections that failed.</summary>
    public int Failed => Results.Count - Succeeded;

    /// <summary>Gets a value indicating whether every connection is ready.</summary>
    public bool AllSucceeded => Failed == 0;

    /// <summary>Summarizes the report, e.g. <c>4 of 5 connections ready in 312 ms</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() => $"{Succeeded} of {Results.Count} connections ready in {Elapsed.TotalMilliseconds:F0} ms";
}
