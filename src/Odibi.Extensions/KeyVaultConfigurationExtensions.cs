using Odibi.Extensions;
using Odibi.Extensions.Internal.References;

namespace Microsoft.Extensions.Configuration;

/// <summary>Reads Key Vault secrets into configuration through the same engine as Odibi's connections.</summary>
public static class KeyVaultConfigurationExtensions
{
    /// <summary>
    /// Resolves every value, in the sources added before this call, written as an App Service Key Vault reference —
    /// <c>@Microsoft.KeyVault(SecretUri=https://{vault}.vault.azure.net/secrets/{name}[/{version}])</c> or
    /// <c>@Microsoft.KeyVault(VaultName={vault};SecretName={name}[;SecretVersion={version}])</c> — to the secret's value.
    /// All are read in parallel when the configuration is built, each distinct secret once, with one token; needs only
    /// the Get permission on secrets. If any cannot be read (or is malformed), building the configuration throws one
    /// <see cref="KeyVaultReferenceException"/> listing them all, unless their paths are in
    /// <see cref="KeyVaultReferenceOptions.OptionalPaths"/>.
    /// </summary>
    /// <param name="builder">The configuration builder (e.g. <c>builder.Configuration</c>).</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="KeyVaultReferenceException">References could not be read (with a configuration manager, thrown here).</exception>
    public static IConfigurationBuilder AddKeyVaultReferences(this IConfigurationBuilder builder) => builder.AddKeyVaultReferences(null);

    /// <summary>As <see cref="AddKeyVaultReferences(IConfigurationBuilder)"/>, with settings.</summary>
    /// <param name="builder">The configuration builder (e.g. <c>builder.Configuration</c>).</param>
    /// <param name="configure">Sets the credential, client options, timeouts, reload interval and optional paths.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="KeyVaultReferenceException">References could not be read (with a configuration manager, thrown here).</exception>
    public static IConfigurationBuilder AddKeyVaultReferences(this IConfigurationBuilder builder, Action<KeyVaultReferenceOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new KeyVaultConfigurationSource(
            static (engine, earlier, options) => new KeyVaultReferenceProvider(engine, (KeyVaultReferenceOptions)options, earlier),
            static () => new KeyVaultReferenceOptions(),
            configure is null ? null : options => configure((KeyVaultReferenceOptions)options)));
    }

    /// <summary>
    /// Loads every enabled secret of the vault at <paramref name="vaultUri"/> into configuration, <c>--</c> in a secret's
    /// name read as <c>:</c> (<c>ConnectionStrings--Orders</c> becomes <c>ConnectionStrings:Orders</c>), as the Key Vault
    /// configuration provider does, through the same engine as references and connections. Listing the vault needs the
    /// List permission on secrets, which <see cref="AddKeyVaultReferences(IConfigurationBuilder)"/> does not.
    /// </summary>
    /// <param name="builder">The configuration builder.</param>
    /// <param name="vaultUri">The vault, e.g. <c>https://orders-kv.vault.azure.net/</c>.</param>
    /// <param name="configure">Sets a name prefix, the credential, client options, timeouts and reload interval.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="KeyVaultReferenceException">The vault could not be listed, or secrets could not be read.</exception>
    public static IConfigurationBuilder AddKeyVaultSecrets(this IConfigurationBuilder builder, Uri vaultUri, Action<KeyVaultSecretsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(vaultUri);
        if (!vaultUri.IsAbsoluteUri || vaultUri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"The vault URI '{vaultUri}' is not an absolute https URI: use https://<vault>.vault.azure.net/.", nameof(vaultUri));
        }

        var vault = new Uri($"https://{vaultUri.Authority.ToLowerInvariant()}/");
        return builder.Add(new KeyVaultConfigurationSource(
            (engine, _, options) => new KeyVaultSecretsProvider(engine, vault, (KeyVaultSecretsOptions)options),
            static () => new KeyVaultSecretsOptions(),
            configure is null ? null : options => configure((KeyVaultSecretsOptions)options)));
    }
}
