namespace Odibi.Extensions;

/// <summary>
/// Thrown when the configuration is built and Key Vault secrets it names cannot be read (or references are malformed):
/// the message lists every one, with its configuration path, vault, secret, cause and fix. Never holds a value.
/// </summary>
public sealed class KeyVaultReferenceException : Exception
{
    /// <summary>Initializes a new instance with the failures it lists.</summary>
    /// <param name="failures">What could not be read.</param>
    public KeyVaultReferenceException(IReadOnlyList<KeyVaultReferenceFailure> failures)
        : base(Describe(failures))
    {
        Failures = failures;
    }

    /// <summary>Gets what could not be read, in configuration order.</summary>
    public IReadOnlyList<KeyVaultReferenceFailure> Failures { get; }

    private static string Describe(IReadOnlyList<KeyVaultReferenceFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        var lines = failures.Select(f => $"  - {f.Message}");
        return $"The configuration was not built: {failures.Count} Key Vault secret{(failures.Count == 1 ? "" : "s")} it names could not be read." +
               Environment.NewLine + string.Join(Environment.NewLine, lines);
    }
}
