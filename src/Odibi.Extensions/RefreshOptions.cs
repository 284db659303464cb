namespace Odibi.Extensions;

/// <summary>Settings of the background secret refresh (<c>Odibi:Refresh</c>).</summary>
public sealed class RefreshOptions
{
    /// <summary>
    /// Gets or sets how often secrets are read again from Key Vault: a period (one refresh starts every interval; one
    /// that runs longer delays the next), not a gap after each refresh.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no background refresh.</value>
    public TimeSpan? Interval { get; set; }
}
