using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// Serves every enabled secret of one vault (with <see cref="KeyVaultSecretsOptions.Prefix"/>, those whose names start
/// with it), <c>--</c> in a name read as <c>:</c>. Listing needs the List permission on secrets; the values are then
/// read as references are, through the vault's gate, one read each.
/// </summary>
internal sealed class KeyVaultSecretsProvider(KeyVaultEngine engine, Uri vault, KeyVaultSecretsOptions options)
    : KeyVaultConfigurationProvider(engine, options)
{
    /// <summary>How <c>GetDebugView</c> names this provider; a mask can match its "(Odibi.Extensions)" ending.</summary>
    public override string ToString() => $"Key Vault secrets of {vault} (Odibi.Extensions)";

    protected override async Task<(Dictionary<string, string?> Values, List<KeyVaultReferenceFailure> Failures)> ReadAllAsync(bool refresh, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var names = new List<(string Path, SecretKey Key)>();
        try
        {
            await foreach (var properties in Engine.Clients.Get(vault).Client.GetPropertiesOfSecretsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (properties.Enabled == false
                    || (options.Prefix is { Length: > 0 } prefix && !properties.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                var path = properties.Name[(options.Prefix?.Length ?? 0)..].Replace("--", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
                names.Add((path, new SecretKey(vault, properties.Name, null)));
            }
        }
        catch (Exception error) when (error is RequestFailedException or Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException)
        {
            var cause = error is RequestFailedException { Status: 403 }
                ? "403: listing secrets needs the List permission (the 'Key Vault Secrets User' role, or an access policy with List). Fix: grant it, or name the secrets you need with AddKeyVaultReferences, which needs only Get."
                : SecretFailures.Cause(error);
            return (values, [new KeyVaultReferenceFailure(vault.ToString(), vault, null, $"{vault}: the secrets could not be listed: {cause}")]);
        }

        var failures = new List<KeyVaultReferenceFailure>();
        var secrets = await ReadSecretsAsync(names.Select(n => n.Key), refresh, cancellationToken).ConfigureAwait(false);
        foreach (var (path, key) in names)
        {
            var (value, error) = secrets[key];
            if (error is null)
            {
                values[path] = value;
            }
            else
            {
                failures.Add(Failure(path, key, error));
            }
        }

        return (values, failures);
    }
}
