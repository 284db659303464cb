using Azure.Core;
using Azure.Identity;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>Builds the identity credential of a <see cref="AdlsAuthMode.ManagedIdentity"/> or <see cref="AdlsAuthMode.ServicePrincipal"/> connection.</summary>
internal class StorageCredentialFactory
{
    /// <summary>The scope a storage token is requested for.</summary>
    public static readonly TokenRequestContext StorageScope = new(["https://storage.azure.com/.default"]);

    public virtual TokenCredential Create(AdlsConnection connection, string? clientSecret) => connection.AuthMode switch
    {
        AdlsAuthMode.ManagedIdentity => new ManagedIdentityCredential(connection.ClientId is { } clientId
            ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : ManagedIdentityId.SystemAssigned),
        AdlsAuthMode.ServicePrincipal => new ClientSecretCredential(connection.TenantId, connection.ClientId, clientSecret,
            new ClientSecretCredentialOptions { AuthorityHost = AuthorityHost(connection.EndpointSuffix) }),
        _ => throw new InvalidOperationException($"Connection '{connection.Name}' uses AuthMode {connection.AuthMode}, which has no identity."),
    };

    internal static Uri AuthorityHost(string endpointSuffix) => endpointSuffix switch
    {
        "core.chinacloudapi.cn" => AzureAuthorityHosts.AzureChina,
        "core.usgovcloudapi.net" => AzureAuthorityHosts.AzureGovernment,
        _ => AzureAuthorityHosts.AzurePublicCloud,
    };
}
