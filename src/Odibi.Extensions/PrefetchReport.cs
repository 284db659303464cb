namespace Odibi.Extensions;

/// <summary>What a prefetch did: one result per connection that needs a secret or an identity token.</summary>
public sealed class PrefetchReport
{
    internal PrefetchReport(IReadOnlyList<KeyVaultFetchResult> results, TimeSpan elapsed, IReadOnlyList<string>? nothingToFetch = null)
    {
        Results = results;
        Elapsed = elapsed;
        Succeeded = results.Count(r => r.Success);
        NothingToFetch = nothingToFetch ?? [];
    }

    /// <summary>Gets one result per connection, in configuration order.</summary>
    public IReadOnlyList<KeyVaultFetchResult> Results { get; }

    /// <summary>Gets the wall-clock time of the whole prefetch.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// Gets the names of the connections that needed nothing fetched (an inline key or SAS token), in configuration
    /// order: they are ready without a request and have no entry in <see cref="Results"/>.
    /// </summary>
    public IReadOnlyList<string> NothingToFetch { get; }

    /// <summary>Gets the number of connections: those in <see cref="Results"/> and those in <see cref="NothingToFetch"/>.</summary>
    public int ConnectionCount => Results.Count + NothingToFetch.Count;

    /// <summary>Gets the number of connections in <see cref="Results"/> made ready.</summary>
    public int Succeeded { get; }

    /// <summary>Gets the number of connections in <see cref="Results"/> that failed.</summary>
    public int Failed => Results.Count - Succeeded;

    /// <summary>Gets a value indicating whether every connection is ready.</summary>
    public bool AllSucceeded => Failed == 0;

    /// <summary>
    /// Summarizes the report, e.g. <c>4 of 5 connections ready in 312 ms</c>, or
    /// <c>5 of 5 connections ready in 312 ms (dev needed nothing fetched)</c>.
    /// </summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        var summary = $"{Succeeded + NothingToFetch.Count} of {ConnectionCount} connections ready in {Elapsed.TotalMilliseconds:F0} ms";
        return NothingToFetch.Count == 0 ? summary : $"{summary} ({string.Join(", ", NothingToFetch)} needed nothing fetched)";
    }

    /// <summary>The same report, naming the connections of <paramref name="all"/> that have no result.</summary>
    internal PrefetchReport WithNothingToFetch(IEnumerable<AdlsConnection> all)
    {
        var fetched = Results.Select(r => r.ConnectionName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new PrefetchReport(Results, Elapsed, [.. all.Select(c => c.Name).Where(name => !fetched.Contains(name))]);
    }
}
