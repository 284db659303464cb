namespace Odibi.Extensions;

/// <summary>Settings of <c>AddKeyVaultReferences</c>.</summary>
public sealed class KeyVaultReferenceOptions : KeyVaultConfigurationOptions
{
    /// <summary>
    /// Gets the configuration paths (e.g. <c>ConnectionStrings:Analytics</c>, case-insensitive) whose references the app
    /// can start without: when one cannot be read, its value is absent (<see langword="null"/>) and a warning is logged,
    /// instead of the configuration failing to build.
    /// </summary>
    public ISet<string> OptionalPaths { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the DNS suffix a <c>VaultName=</c> reference's vault is under.</summary>
    /// <value>The default is <c>vault.azure.net</c> (Azure's public cloud); <c>vault.azure.cn</c>, <c>vault.usgovcloudapi.net</c> for others.</value>
    public string VaultDnsSuffix { get; set; } = "vault.azure.net";
}
