using System.Diagnostics.CodeAnalysis;

namespace Odibi.Extensions;

/// <summary>The configured storage connections, in configuration order. Registered as a singleton.</summary>
public interface IAdlsConnections : IReadOnlyCollection<AdlsConnection>
{
    /// <summary>Gets the connection with the given name (case-insensitive).</summary>
    /// <param name="name">The connection name, as under <c>Odibi:Connections</c>.</param>
    /// <exception cref="KeyNotFoundException">No connection has that name; the message lists the configured names.</exception>
    AdlsConnection this[string name] { get; }

    /// <summary>Gets the connection with the given name (case-insensitive), if there is one.</summary>
    /// <param name="name">The connection name.</param>
    /// <param name="connection">The connection, when found.</param>
    /// <returns><see langword="true"/> when a connection has that name.</returns>
    bool TryGet(string name, [NotNullWhen(true)] out AdlsConnection? connection);
}
