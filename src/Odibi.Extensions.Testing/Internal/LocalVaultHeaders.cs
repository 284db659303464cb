namespace Odibi.Extensions.Testing.Internal;

/// <summary>Headers the client-side routing policy uses to tell the local server which vault a request is for.</summary>
internal static class LocalVaultHeaders
{
    /// <summary>The vault name, e.g. <c>my-production-kv</c>.</summary>
    public const string VaultName = "x-ms-local-vault";

    /// <summary>The authority the client believes it talks to, e.g. <c>my-production-kv.vault.azure.net</c>.</summary>
    public const string VaultHost = "x-ms-local-vault-host";
}
