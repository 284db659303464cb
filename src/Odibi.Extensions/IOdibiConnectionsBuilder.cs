namespace Odibi.Extensions;

/// <summary>
/// Returned by <c>AddOdibiConnections</c>; further configures the Odibi connections registered in <see cref="Services"/>.
/// </summary>
public interface IOdibiConnectionsBuilder
{
    /// <summary>Gets the service collection the connections are registered in.</summary>
    IServiceCollection Services { get; }
}
