using Microsoft.Extensions.Configuration;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// Serves, for every value of the sources added before it that is a Key Vault reference
/// (<see cref="KeyVaultReference"/>), the secret it names; every other value is left to those sources. Each distinct
/// secret is read once, however many paths name it.
/// </summary>
internal sealed class KeyVaultReferenceProvider(KeyVaultEngine engine, KeyVaultReferenceOptions options, IConfiguration earlier)
    : KeyVaultConfigurationProvider(engine, options)
{
    /// <summary>How <c>GetDebugView</c> names this provider; a mask can match its "(Odibi.Extensions)" ending.</summary>
    public override string ToString() => "Key Vault references (Odibi.Extensions)";

    /// <summary>The references found when the configuration was built: (path, secret), or (path, error) when malformed.</summary>
    private List<(string Path, SecretKey? Key, string? Error)>? _references;

    protected override async Task<(Dictionary<string, string?> Values, List<KeyVaultReferenceFailure> Failures)> ReadAllAsync(bool refresh, CancellationToken cancellationToken)
    {
        _references ??= Find();
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var failures = new List<KeyVaultReferenceFailure>();
        var secrets = await ReadSecretsAsync(_references.Where(r => r.Key is not null).Select(r => r.Key!.Value), refresh, cancellationToken).ConfigureAwait(false);
        foreach (var (path, key, error) in _references)
        {
            KeyVaultReferenceFailure failure;
            if (key is { } secret)
            {
                var (value, readError) = secrets[secret];
                if (readError is null)
                {
                    values[path] = value;
                    continue;
                }

                failure = Failure(path, secret, readError);
            }
            else
            {
                failure = new KeyVaultReferenceFailure(path, null, null, error!);
            }

            if (options.OptionalPaths.Contains(path) && !refresh)
            {
                values[path] = null; // absent, not the reference text
                Engine.Log.Write(logger => Log.KeyVaultReferenceSkipped(logger, path, failure.Message));
            }
            else
            {
                failures.Add(failure);
            }
        }

        return (values, failures);
    }

    /// <summary>Every reference among the earlier sources' values, in key order.</summary>
    private List<(string Path, SecretKey? Key, string? Error)> Find()
    {
        var found = new List<(string, SecretKey?, string?)>();
        foreach (var (path, value) in earlier.AsEnumerable().OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (KeyVaultReference.IsCandidate(value))
            {
                var key = KeyVaultReference.Parse(path, value!, options.VaultDnsSuffix, out var error);
                found.Add((path, key, error));
            }
        }

        return found;
    }
}
