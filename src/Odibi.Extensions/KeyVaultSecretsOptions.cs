namespace Odibi.Extensions;

/// <summary>Settings of <c>AddKeyVaultSecrets</c>, which loads every enabled secret of one vault.</summary>
public sealed class KeyVaultSecretsOptions : KeyVaultConfigurationOptions
{
    /// <summary>
    /// Gets or sets a prefix: only secrets whose names start with it (case-insensitive) are loaded, and it is removed
    /// from their keys (<c>orders--ConnectionStrings--Sql</c> with prefix <c>orders--</c> becomes <c>ConnectionStrings:Sql</c>).
    /// </summary>
    /// <value>The default is <see langword="null"/>: every secret.</value>
    public string? Prefix { get; set; }
}
