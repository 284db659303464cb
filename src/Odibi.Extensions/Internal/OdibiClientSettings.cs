using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;

namespace Odibi.Extensions.Internal;

/// <summary>What code (not configuration) sets on the builder: the credential and SecretClient tweaks.</summary>
internal sealed class OdibiClientSettings
{
    public TokenCredential? Credential { get; set; }

    public List<Action<SecretClientOptions>> ConfigureSecretClient { get; } = [];

    /// <summary>The <c>Odibi:Credential</c> section, read with Microsoft.Extensions.Azure's credential keys.</summary>
    public IConfiguration? CredentialSection { get; set; }
}
