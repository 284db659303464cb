using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// One configuration value that names a Key Vault secret in App Service's syntax:
/// <c>@Microsoft.KeyVault(SecretUri=https://{vault}.vault.azure.net/secrets/{name}[/{version}])</c> or
/// <c>@Microsoft.KeyVault(VaultName={vault};SecretName={name}[;SecretVersion={version}])</c>. The prefix and the
/// parameter names are matched case-insensitively, whitespace around the value, the parameters and their values is
/// ignored, and a trailing slash after the secret name or version is accepted, as App Service accepts them.
/// </summary>
internal static class KeyVaultReference
{
    private const string Prefix = "@Microsoft.KeyVault(";

    /// <summary>Whether <paramref name="value"/> is meant as a reference (it starts with the prefix), well-formed or not.</summary>
    public static bool IsCandidate(string? value) =>
        value is not null && value.AsSpan().TrimStart().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the reference in <paramref name="value"/>, found at configuration path <paramref name="path"/>. Returns
    /// <see langword="null"/> and an error (naming the path and the fix, never the value) when it is malformed.
    /// </summary>
    public static SecretKey? Parse(string path, string value, string vaultDnsSuffix, out string? error)
    {
        error = null;
        var text = value.Trim();
        if (!text.EndsWith(')'))
        {
            error = $"{path}: the Key Vault reference has no closing ')'. Fix: write @Microsoft.KeyVault(SecretUri=https://<vault>.{vaultDnsSuffix}/secrets/<name>) " +
                    "or @Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>).";
            return null;
        }

        var body = text[Prefix.Length..^1];
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in body.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? part : part[..equals].Trim();
            if (equals < 0 || !IsKnown(name))
            {
                // The part itself is not repeated: a value pasted in by mistake must not reach an error message.
                error = $"{path}: the Key Vault reference has a part that is not SecretUri, VaultName, SecretName or SecretVersion. " +
                        "Fix: write SecretUri=<secret identifier>, or VaultName=<vault>;SecretName=<name>[;SecretVersion=<version>].";
                return null;
            }

            if (!parameters.TryAdd(name, part[(equals + 1)..].Trim()))
            {
                error = $"{path}: the Key Vault reference gives {name} twice. Fix: give it once.";
                return null;
            }
        }

        if (parameters.TryGetValue("SecretUri", out var secretUri))
        {
            if (parameters.Count > 1)
            {
                error = $"{path}: the Key Vault reference gives SecretUri with VaultName, SecretName or SecretVersion. Fix: give SecretUri alone, or VaultName and SecretName without it.";
                return null;
            }

            return ParseSecretUri(path, secretUri, vaultDnsSuffix, out error);
        }

        if (!parameters.TryGetValue("VaultName", out var vault) || vault.Length == 0
            || !parameters.TryGetValue("SecretName", out var secret) || secret.Length == 0)
        {
            error = $"{path}: the Key Vault reference names no {(parameters.ContainsKey("VaultName") && parameters["VaultName"].Length > 0 ? "SecretName" : "VaultName")}. " +
                    "Fix: write @Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>), or give SecretUri.";
            return null;
        }

        if (!IsVaultName(vault))
        {
            error = $"{path}: the Key Vault reference's VaultName '{Printable(vault)}' is not a vault name (3–24 letters, digits and hyphens, starting with a letter). Fix: give the vault's name, or a SecretUri.";
            return null;
        }

        if (!IsSecretName(secret))
        {
            error = $"{path}: the Key Vault reference's SecretName '{Printable(secret)}' is not a secret name (1–127 letters, digits and hyphens). Fix: give the secret's name as in the vault.";
            return null;
        }

        var version = parameters.GetValueOrDefault("SecretVersion") is { Length: > 0 } v ? v : null;
        if (version is not null && !IsVersion(version))
        {
            error = $"{path}: the Key Vault reference's SecretVersion is not a version id (32 hexadecimal digits). Fix: give the version id, or leave SecretVersion out for the current version.";
            return null;
        }

        return new SecretKey(new Uri($"https://{vault.ToLowerInvariant()}.{vaultDnsSuffix}/"), secret, version);
    }

    private static bool IsKnown(string name) =>
        name.Equals("SecretUri", StringComparison.OrdinalIgnoreCase) || name.Equals("VaultName", StringComparison.OrdinalIgnoreCase)
        || name.Equals("SecretName", StringComparison.OrdinalIgnoreCase) || name.Equals("SecretVersion", StringComparison.OrdinalIgnoreCase);

    private static SecretKey? ParseSecretUri(string path, string secretUri, string vaultDnsSuffix, out string? error)
    {
        error = null;
        if (!Uri.TryCreate(secretUri, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = $"{path}: the Key Vault reference's SecretUri is not an https URI. Fix: write SecretUri=https://<vault>.{vaultDnsSuffix}/secrets/<name>[/<version>].";
            return null;
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/');
        if (segments.Length is < 2 or > 3 || !segments[0].Equals("secrets", StringComparison.OrdinalIgnoreCase) || !IsSecretName(segments[1])
            || (segments.Length == 3 && !IsVersion(segments[2])))
        {
            error = $"{path}: the Key Vault reference's SecretUri does not name a secret (https://<vault>/secrets/<name>[/<version>]). Fix: copy the secret's identifier from the vault.";
            return null;
        }

        var vault = new Uri($"https://{uri.Authority.ToLowerInvariant()}/");
        return new SecretKey(vault, Uri.UnescapeDataString(segments[1]), segments.Length == 3 ? segments[2] : null);
    }

    private static bool IsVaultName(string name) =>
        name.Length is >= 3 and <= 24 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static bool IsSecretName(string name) =>
        name.Length is >= 1 and <= 127 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static bool IsVersion(string version) =>
        version.Length == 32 && version.All(char.IsAsciiHexDigit);

    private static string Printable(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
