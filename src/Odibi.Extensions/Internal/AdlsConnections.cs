using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Internal;

internal sealed class AdlsConnections : IAdlsConnections
{
    private readonly Dictionary<string, AdlsConnection> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<AdlsConnection> _ordered = [];
    private readonly string _root;

    public AdlsConnections(IOptions<OdibiOptions> options, ISecretSource secrets)
    {
        var value = options.Value;
        _root = value.ConfigurationPath;
        foreach (var (name, connectionOptions) in value.Connections)
        {
            var connection = new AdlsConnection(name, connectionOptions, secrets);
            _byName.Add(name, connection);
            _ordered.Add(connection);
        }
    }

    public int Count => _ordered.Count;

    public AdlsConnection this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            if (_byName.TryGetValue(name, out var connection))
            {
                return connection;
            }

            var known = _ordered.Count == 0 ? "none" : string.Join(", ", _ordered.Select(c => c.Name));
            throw new KeyNotFoundException(
                $"No Odibi connection is named '{name}'. Configured connections: {known}. Fix the name, or add the connection under {_root}:Connections:{name}.");
        }
    }

    public bool TryGet(string name, [NotNullWhen(true)] out AdlsConnection? connection)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out connection);
    }

    public IEnumerator<AdlsConnection> GetEnumerator() => _ordered.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
