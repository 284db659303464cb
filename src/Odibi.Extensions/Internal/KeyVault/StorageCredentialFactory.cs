using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Chooses the storage credential of a <see cref="AdlsAuthMode.ManagedIdentity"/> or <see cref="AdlsAuthMode.ServicePrincipal"/>
/// connection. The rule, in order:
/// <list type="number">
/// <item><c>UseStorageCredential(credential)</c> (and <c>UseLocalKeyVault</c>): that credential, for every identity connection.</item>
/// <item><see cref="AdlsAuthMode.ServicePrincipal"/>: its own <see cref="ClientSecretCredential"/> (TenantId, ClientId, the client secret).</item>
/// <item><see cref="AdlsAuthMode.ManagedIdentity"/> with a <c>ClientId</c>: that user-assigned managed identity.</item>
/// <item><see cref="AdlsAuthMode.ManagedIdentity"/> without one: the app's credential, the one Key Vault uses
/// (<c>UseCredential</c>, <c>Odibi:Credential</c>, or the default <see cref="DefaultAzureCredential"/>).</item>
/// </list>
/// </summary>
internal class StorageCredentialFactory(IOptions<OdibiClientSettings>? settings = null, VaultClients? vaults = null)
{
    /// <summary>The scope a storage token is requested for.</summary>
    public static readonly TokenRequestContext StorageScope = new(["https://storage.azure.com/.default"]);

    public virtual TokenCredential Create(AdlsConnection connection, string? clientSecret)
    {
        if (settings?.Value.StorageCredential is { } storage)
        {
            return storage;
        }

        return connection.AuthMode switch
        {
            AdlsAuthMode.ServicePrincipal => new ClientSecretCredential(connection.TenantId, connection.ClientId, clientSecret,
                new ClientSecretCredentialOptions { AuthorityHost = AuthorityHost(connection.EndpointSuffix) }),
            AdlsAuthMode.ManagedIdentity when connection.ClientId is { } clientId =>
                new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId)),
            AdlsAuthMode.ManagedIdentity when vaults is not null => vaults.Credential,
            AdlsAuthMode.ManagedIdentity => new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned),
            _ => throw new InvalidOperationException($"Connection '{connection.Name}' uses AuthMode {connection.AuthMode}, which has no identity."),
        };
    }

    internal static Uri AuthorityHost(string endpointSuffix) => endpointSuffix switch
    {
        "core.chinacloudapi.cn" => AzureAuthorityHosts.AzureChina,
        "core.usgovcloudapi.net" => AzureAuthorityHosts.AzureGovernment,
        _ => AzureAuthorityHosts.AzurePublicCloud,
    };
}
