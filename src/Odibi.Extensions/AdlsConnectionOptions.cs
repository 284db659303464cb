namespace Odibi.Extensions;

/// <summary>One storage connection (<c>Odibi:Connections:&lt;name&gt;</c>).</summary>
public sealed class AdlsConnectionOptions
{
    /// <summary>Gets or sets the storage account name: 3-24 lowercase letters and digits.</summary>
    public string Account { get; set; } = "";

    /// <summary>Gets or sets the container (file system) name: 3-63 lowercase letters, digits and single hyphens.</summary>
    public string Container { get; set; } = "";

    /// <summary>Gets or sets the folder inside the container that paths are relative to; leading and trailing <c>/</c> are ignored.</summary>
    public string PathPrefix { get; set; } = "";

    /// <summary>Gets or sets how the connection authenticates.</summary>
    public AdlsAuthMode AuthMode { get; set; }

    /// <summary>Gets or sets the inline account key (<see cref="AdlsAuthMode.DirectKey"/> only).</summary>
    public string? AccountKey { get; set; }

    /// <summary>Gets or sets the inline SAS token (<see cref="AdlsAuthMode.SasToken"/> without Key Vault).</summary>
    public string? SasToken { get; set; }

    /// <summary>Gets or sets the vault: a name (<c>https://{name}.{KeyVaultDnsSuffix}/</c>) or an absolute <c>https://</c> vault URI.</summary>
    public string? KeyVaultName { get; set; }

    /// <summary>Gets or sets the name of the secret that holds the key, SAS token or client secret.</summary>
    public string? SecretName { get; set; }

    /// <summary>Gets or sets the secret version to read.</summary>
    /// <value>The default is <see langword="null"/>: the current version.</value>
    public string? SecretVersion { get; set; }

    /// <summary>Gets or sets the DNS suffix of vault names, for sovereign clouds.</summary>
    /// <value>The default is <see langword="null"/>: <c>vault.azure.net</c>.</value>
    public string? KeyVaultDnsSuffix { get; set; }

    /// <summary>Gets or sets the Microsoft Entra tenant (<see cref="AdlsAuthMode.ServicePrincipal"/>).</summary>
    public string? TenantId { get; set; }

    /// <summary>Gets or sets the application (client) id of the service principal or user-assigned managed identity.</summary>
    public string? ClientId { get; set; }

    /// <summary>Gets or sets the inline client secret (<see cref="AdlsAuthMode.ServicePrincipal"/> without Key Vault).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Gets or sets the storage DNS suffix, for sovereign clouds.</summary>
    /// <value>The default is <see langword="null"/>: <c>core.windows.net</c>.</value>
    public string? EndpointSuffix { get; set; }

    /// <summary>Gets or sets the blob service endpoint, overriding the one derived from the account (Azurite, private endpoints).</summary>
    public string? BlobServiceUri { get; set; }

    /// <summary>Gets or sets a value indicating whether a failure of this connection degrades the app instead of stopping it.</summary>
    public bool Optional { get; set; }

    /// <summary>Set when configuration named an unknown mode, so the validator skips the mode's rules.</summary>
    internal bool AuthModeUnreadable { get; set; }
}
