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

    /// <summary>
    /// Gets the report of the startup prefetch (or of the last <see cref="PrefetchAsync"/> call), or <see langword="null"/>
    /// before the first one finished. It is what startup saw: later background retries, late successes, refreshes and
    /// health probes change each connection's <see cref="AdlsConnection.Status"/> and <see cref="AdlsConnection.LastResult"/>,
    /// which say the current state; this report stays as it was.
    /// </summary>
    PrefetchReport? LastPrefetch { get; }

    /// <summary>
    /// Fetches, in parallel, every Key Vault secret the connections need (each distinct secret once) and an identity
    /// token for identity-based connections. Secrets already cached are not fetched again. Never throws for a failed
    /// connection: the report says which failed and why, and the connection's <see cref="AdlsConnection.Status"/> says
    /// <see cref="ConnectionStatus.Failed"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops the prefetch.</param>
    /// <returns>One result per connection that needs a secret or a token; with <see cref="PrefetchOptions.VerifyStorage"/>, one per connection, its storage check included.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    Task<PrefetchReport> PrefetchAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets one Hadoop ABFS settings map (<c>fs.azure.*</c>) for every usable connection at once, to hand to a Spark
    /// session that reads several accounts: each account's settings once. Connections on one account must use the same
    /// credential. The values include secrets: hand them to Spark, never to a log.
    /// </summary>
    /// <param name="skipUnusable">
    /// <see langword="true"/> to leave out connections that are not <see cref="ConnectionStatus.Ready"/> or
    /// <see cref="ConnectionStatus.Degraded"/>; <see langword="false"/> (the default) to fail naming them.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for a Key Vault secret.</param>
    /// <returns>The settings, by key.</returns>
    /// <exception cref="InvalidOperationException">
    /// Connections are pending or failed (each named with its status and error), or two connections on one account use
    /// different credentials (both named). Never holds a value.
    /// </exception>
    Task<IReadOnlyDictionary<string, string>> GetSparkConfigurationAsync(bool skipUnusable = false, CancellationToken cancellationToken = default);
}
