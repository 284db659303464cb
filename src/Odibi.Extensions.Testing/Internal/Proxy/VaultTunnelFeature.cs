namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>
/// Set on a connection the proxy tunnelled to a vault (<c>CONNECT {vault}.{suffix}:443</c>): the requests on it are for
/// that vault, whatever their headers say.
/// </summary>
/// <param name="VaultName">The vault name, the first label of the host.</param>
/// <param name="Authority">The authority the client connected to, e.g. <c>orders-kv.vault.azure.net</c>, for ids and nextLinks.</param>
/// <param name="Resource">The challenge's resource for that cloud, e.g. <c>https://vault.azure.net</c>.</param>
internal sealed record VaultTunnelFeature(string VaultName, string Authority, string Resource);
