using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace Odibi.Extensions.Internal;

/// <summary>What code (not configuration) sets on the builder: the credential, SecretClient and BlobServiceClient tweaks.</summary>
internal sealed class OdibiClientSettings
{
    public TokenCredential? Credential { get; set; }

    /// <summary>The storage credential of every identity-based connection, when code supplies one.</summary>
    public TokenCredential? StorageCredential { get; set; }

    public List<Action<SecretClientOptions>> ConfigureSecretClient { get; } = [];

    public List<Action<BlobClientOptions>> ConfigureBlobClient { get; } = [];

    /// <summary>The <c>Odibi:Credential</c> section, read with Microsoft.Extensions.Azure's credential keys.</summary>
    public IConfiguration? CredentialSection { get; set; }
}
