using Odibi.Extensions;
using Odibi.Extensions.Testing;

namespace Microsoft.Extensions.Configuration;

/// <summary>Points Key Vault configuration sources (<c>AddKeyVaultReferences</c>, <c>AddKeyVaultSecrets</c>) at a <see cref="LocalKeyVault"/>.</summary>
public static class LocalKeyVaultConfigurationExtensions
{
    /// <summary>
    /// Makes the source read from <paramref name="vault"/> (keeping the vault names in the references, which select the
    /// <see cref="LocalVault"/>) with <see cref="LocalKeyVault.Credential"/>. With <c>UseLocalKeyVault</c> on
    /// <c>AddOdibiConnections</c> too, both share one token and one read of each secret.
    /// </summary>
    /// <param name="options">The source's options.</param>
    /// <param name="vault">The running server.</param>
    /// <returns>The same options.</returns>
    public static TOptions UseLocalKeyVault<TOptions>(this TOptions options, LocalKeyVault vault)
        where TOptions : KeyVaultConfigurationOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vault);
        options.Credential = vault.Credential;
        options.ConfigureSecretClient += vault.ConfigureClientOptions;
        return options;
    }
}
