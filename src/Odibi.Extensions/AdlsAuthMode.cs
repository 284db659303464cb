namespace Odibi.Extensions;

/// <summary>How a connection authenticates to its storage account.</summary>
public enum AdlsAuthMode
{
    /// <summary>The account key is read from Azure Key Vault (<c>KeyVaultName</c>, <c>SecretName</c>). Recommended for production.</summary>
    KeyVault,

    /// <summary>The account key is given inline (<c>AccountKey</c>). For development: warned about, or rejected, in Production.</summary>
    DirectKey,

    /// <summary>A SAS token, inline (<c>SasToken</c>) or read from Key Vault (<c>KeyVaultName</c>, <c>SecretName</c>).</summary>
    SasToken,

    /// <summary>A Microsoft Entra service principal (<c>TenantId</c>, <c>ClientId</c>); its client secret inline or read from Key Vault.</summary>
    ServicePrincipal,

    /// <summary>A managed identity (system-assigned, or user-assigned with <c>ClientId</c>). No secret is stored.</summary>
    ManagedIdentity,
}
