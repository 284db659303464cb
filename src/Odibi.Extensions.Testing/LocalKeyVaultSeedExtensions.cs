using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.References;

namespace Odibi.Extensions.Testing;

/// <summary>Fills a <see cref="LocalKeyVault"/> with the secrets an app's configuration refers to.</summary>
public static class LocalKeyVaultSeedExtensions
{
    /// <summary>
    /// Creates, with random values, every Key Vault secret the connections under <c>Odibi:Connections</c> read — a
    /// 64-byte base64 account key for <see cref="AdlsAuthMode.KeyVault"/>, a SAS token for <see cref="AdlsAuthMode.SasToken"/>,
    /// a client secret for <see cref="AdlsAuthMode.ServicePrincipal"/> — and every secret a Key Vault reference in
    /// <paramref name="configuration"/> names (<c>@Microsoft.KeyVault(…)</c>, for <c>AddKeyVaultReferences</c>; a
    /// reference to a version is not created). Secrets that already exist are left alone.
    /// </summary>
    /// <param name="vault">The running server.</param>
    /// <param name="configuration">The app's configuration root, or its <c>Odibi</c> section.</param>
    /// <returns>The secrets created, as <c>vault/secret</c>.</returns>
    public static IReadOnlyList<string> SeedSecrets(this LocalKeyVault vault, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentNullException.ThrowIfNull(configuration);

        var options = Read(configuration);
        var created = new List<string>();
        foreach (var connection in options.Connections.Values)
        {
            if (connection.KeyVaultName is not { } keyVault || connection.SecretName is not { } secretName)
            {
                continue;
            }

            var vaultName = keyVault.Contains("://", StringComparison.Ordinal) ? new Uri(keyVault).Host.Split('.')[0] : keyVault;
            var local = vault.Vault(vaultName.ToLowerInvariant());
            if (local.GetSecretValue(secretName) is not null)
            {
                continue;
            }

            local.SetSecret(secretName, connection.AuthMode switch
            {
                AdlsAuthMode.SasToken => $"sv=2022-11-02&ss=b&srt=co&sp=rl&se=2099-01-01T00%3A00%3A00Z&sig={Uri.EscapeDataString(Random(32))}",
                _ => Random(64),
            });
            created.Add($"{local.Name}/{secretName}");
        }

        foreach (var (path, value) in configuration.AsEnumerable())
        {
            if (!KeyVaultReference.IsCandidate(value)
                || KeyVaultReference.Parse(path, value!, "vault.azure.net", out _) is not { Version: null } key)
            {
                continue; // a malformed reference is the app's to report
            }

            var local = vault.Vault(key.Vault.Host.Split('.')[0]);
            if (local.GetSecretValue(key.Name) is null)
            {
                local.SetSecret(key.Name, Random(32));
                created.Add($"{local.Name}/{key.Name}");
            }
        }

        return created;
    }

    /// <summary>
    /// Reads the connections as the app will, through <c>AddOdibiConnections</c>'s own configure steps, without
    /// validating them (validation is the app's start, with its full message).
    /// </summary>
    private static OdibiOptions Read(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(configuration);
        using var provider = services.BuildServiceProvider();
        var options = new OdibiOptions();
        foreach (var configure in provider.GetServices<IConfigureOptions<OdibiOptions>>())
        {
            configure.Configure(options);
        }

        return options;
    }

    private static string Random(int bytes) => Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes));
}
