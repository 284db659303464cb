namespace Odibi.Extensions;

/// <summary>The <c>Odibi</c> configuration section: named storage connections and how their secrets are fetched.</summary>
public sealed class OdibiOptions
{
    /// <summary>The configuration section the options are bound from by default.</summary>
    public const string SectionName = "Odibi";

    /// <summary>Gets the connections by name (case-insensitive), from <c>Odibi:Connections:&lt;name&gt;</c>.</summary>
    public IDictionary<string, AdlsConnectionOptions> Connections { get; } =
        new Dictionary<string, AdlsConnectionOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the startup prefetch settings.</summary>
    public PrefetchOptions Prefetch { get; set; } = new();

    /// <summary>Gets or sets the background refresh settings.</summary>
    public RefreshOptions Refresh { get; set; } = new();

    /// <summary>Gets or sets a value indicating whether a <see cref="AdlsAuthMode.DirectKey"/> connection fails validation in the Production environment.</summary>
    /// <value>The default is <see langword="false"/>: such a connection is only warned about.</value>
    public bool RejectDirectKeyInProduction { get; set; }

    /// <summary>Problems found while reading configuration, reported by the validator with the rest.</summary>
    internal List<string> BindingErrors { get; } = [];

    /// <summary>The configuration path the options were read from, used in error messages.</summary>
    internal string ConfigurationPath { get; set; } = SectionName;
}
