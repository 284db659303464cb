using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.Storage;

namespace Odibi.Extensions.Internal;

internal sealed class AdlsConnections : IAdlsConnections
{
    private readonly Dictionary<string, AdlsConnection> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<AdlsConnection> _ordered = [];
    private readonly string _root;
    private readonly SecretPrefetcher _prefetcher;
    private readonly bool _verifyStorage;
    private volatile PrefetchReport? _lastPrefetch;

    public AdlsConnections(
        IOptions<OdibiOptions> options, ISecretSource secrets, SecretPrefetcher prefetcher, BlobClientFactory blobClients, ILogger<AdlsConnections> logger)
    {
        var value = options.Value;
        _root = value.ConfigurationPath;
        _prefetcher = prefetcher;
        _verifyStorage = value.Prefetch.VerifyStorage;
        foreach (var (name, connectionOptions) in value.Connections)
        {
            var connection = new AdlsConnection(name, connectionOptions, secrets, blobClients, _root, logger, _verifyStorage);
            _byName.Add(name, connection);
            _ordered.Add(connection);
        }
    }

    public int Count => _ordered.Count;

    public PrefetchReport? LastPrefetch => _lastPrefetch;

    /// <summary>Gets a value indicating whether any connection needs a secret or token fetched.</summary>
    public bool NeedsPrefetch => _ordered.Count > 0 && (_verifyStorage || _ordered.Any(c => c.Status == ConnectionStatus.Pending || c.HasKeyVaultSecret));

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

    public async Task<IReadOnlyDictionary<string, string>> GetSparkConfigurationAsync(bool skipUnusable = false, CancellationToken cancellationToken = default)
    {
        var unusable = _ordered.Where(c => c.Status is not (ConnectionStatus.Ready or ConnectionStatus.Degraded)).ToList();
        if (unusable.Count > 0 && !skipUnusable)
        {
            var lines = unusable.Select(c => $"  - '{c.Name}' is {c.Status}" +
                (c.LastResult?.Error is { } error ? $": {SecretFailures.FirstLine(error.Message)}" : "."));
            throw new InvalidOperationException(
                $"The Spark settings of every connection are not available: {unusable.Count} connection{(unusable.Count == 1 ? " is" : "s are")} not usable. " +
                "Fix: wait for them (IAdlsConnections, StatusChanged), fix what failed, or pass skipUnusable: true to leave them out." +
                Environment.NewLine + string.Join(Environment.NewLine, lines));
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        var byAccount = new Dictionary<string, (AdlsConnection Connection, IReadOnlyDictionary<string, string> Settings)>(StringComparer.OrdinalIgnoreCase);
        foreach (var connection in _ordered.Except(unusable))
        {
            var settings = await connection.GetSparkConfigurationAsync(cancellationToken).ConfigureAwait(false);
            var account = connection.DfsEndpoint.Host;
            if (byAccount.TryGetValue(account, out var first))
            {
                if (!SameSettings(first.Settings, settings))
                {
                    throw new InvalidOperationException(
                        $"Connections '{first.Connection.Name}' ({first.Connection.AuthMode}) and '{connection.Name}' ({connection.AuthMode}) both use account " +
                        $"{account} with different credentials, and Spark takes one per account. Fix: give them the same credential, or build a Spark " +
                        "session per connection with AdlsConnection.GetSparkConfigurationAsync.");
                }

                continue;
            }

            byAccount.Add(account, (connection, settings));
            foreach (var (key, value) in settings)
            {
                merged[key] = value;
            }
        }

        return merged;
    }

    private static bool SameSettings(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && string.Equals(kv.Value, other, StringComparison.Ordinal));

    public async Task<PrefetchReport> PrefetchAsync(CancellationToken cancellationToken = default)
    {
        var report = (await _prefetcher.RunAsync(_ordered, CheckKind.Startup, cancellationToken).ConfigureAwait(false)).WithNothingToFetch(_ordered);
        _lastPrefetch = report;
        return report;
    }

    /// <summary>Checks the given failed connections again (secret read from the vault, token, storage); each success makes its connection ready.</summary>
    public Task<PrefetchReport> RetryAsync(IReadOnlyList<AdlsConnection> failed, int attempt, CancellationToken cancellationToken) =>
        _prefetcher.RunAsync(failed, CheckKind.Retry, cancellationToken, attempt);

    /// <summary>Reads every Key Vault secret of the ready connections again; a failed read keeps the last good value and marks the connection degraded.</summary>
    public Task<PrefetchReport> RefreshAsync(CancellationToken cancellationToken) =>
        _prefetcher.RunAsync(_ordered, CheckKind.Refresh, cancellationToken);

    /// <summary>Checks every ready connection's storage with its cached secret or token; a failure makes the connection failed (and retried).</summary>
    public Task<PrefetchReport> ProbeAsync(CancellationToken cancellationToken) =>
        _prefetcher.RunAsync(_ordered, CheckKind.Probe, cancellationToken);

    public IEnumerator<AdlsConnection> GetEnumerator() => _ordered.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
