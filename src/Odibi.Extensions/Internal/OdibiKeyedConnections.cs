namespace Odibi.Extensions.Internal;

/// <summary>
/// The connection names that have keyed services (<c>[FromKeyedServices("bronze")]</c>), as known when
/// <c>AddOdibiConnections</c> ran, so the startup log can name connections configured too late to get them.
/// </summary>
internal sealed class OdibiKeyedConnections
{
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
}
