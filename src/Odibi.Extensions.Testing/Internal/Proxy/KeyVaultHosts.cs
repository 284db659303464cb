namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>The Key Vault DNS suffixes of the public and sovereign clouds, and how a vault host splits into them.</summary>
internal static class KeyVaultHosts
{
    /// <summary>The suffixes a vault host ends with; the proxy's certificate names <c>*.{suffix}</c> for each.</summary>
    public static readonly string[] Suffixes = ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de"];

    /// <summary>The suffixes as the proxy refuses other hosts with: <c>*.vault.azure.net, *.vault.azure.cn, …</c>.</summary>
    public static string Describe() => string.Join(", ", Suffixes.Select(s => "*." + s));

    /// <summary>Splits <c>{vault}.{suffix}</c> into the vault name and the suffix; <see langword="false"/> for any other host.</summary>
    public static bool TryParse(string host, out string vaultName, out string suffix)
    {
        foreach (string candidate in Suffixes)
        {
            if (host.Length > candidate.Length + 1
                && host.EndsWith(candidate, StringComparison.OrdinalIgnoreCase)
                && host[host.Length - candidate.Length - 1] == '.')
            {
                vaultName = host[..(host.Length - candidate.Length - 1)];
                suffix = candidate;
                return !vaultName.Contains('.', StringComparison.Ordinal);
            }
        }

        vaultName = string.Empty;
        suffix = string.Empty;
        return false;
    }
}
