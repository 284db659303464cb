using Odibi.Extensions;
using Odibi.Extensions.Testing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Points the Odibi connections at a <see cref="LocalKeyVault"/> in tests.</summary>
public static class LocalKeyVaultOdibiBuilderExtensions
{
    /// <summary>
    /// Makes every Key Vault client of the connections talk to <paramref name="vault"/> (keeping the configured vault
    /// names, which select the <see cref="LocalVault"/>), and makes every credential the connections use
    /// <see cref="LocalKeyVault.Credential"/>: Key Vault's, and the storage credential of
    /// <see cref="AdlsAuthMode.ManagedIdentity"/> and <see cref="AdlsAuthMode.ServicePrincipal"/> connections. No token
    /// request leaves the machine.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOdibiConnections</c>.</param>
    /// <param name="vault">The running server.</param>
    /// <returns>The same builder.</returns>
    public static IOdibiConnectionsBuilder UseLocalKeyVault(this IOdibiConnectionsBuilder builder, LocalKeyVault vault)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(vault);
        builder.ConfigureSecretClient(vault.ConfigureClientOptions);
        builder.UseCredential(vault.Credential);
        builder.UseStorageCredential(vault.Credential);
        return builder;
    }
}
