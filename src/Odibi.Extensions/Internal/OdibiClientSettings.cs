using Azure.Core;
using Azure.Security.KeyVault.Secrets;

namespace Odibi.Extensions.Internal;

/// <summary>What code (not configuration) sets on the builder: the credential and SecretClient tweaks.</summary>
internal sealed class OdibiClientSettings
{
    public TokenCredential? Credential { get; set; }

    public List<Action<SecretClientOptions>> ConfigureSecretClient { get; } = [];
}
