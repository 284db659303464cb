namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Identifies one secret: vault, name and version (null for the current one). Names and versions compare
/// case-insensitively, as Key Vault's do: <c>shared-key</c> and <c>Shared-Key</c> are one secret, read once.
/// </summary>
internal readonly record struct SecretKey(Uri Vault, string Name, string? Version)
{
    public static SecretKey For(AdlsConnection connection) =>
        new(connection.KeyVaultUri!, connection.SecretName!, connection.SecretVersion);

    public bool Equals(SecretKey other) =>
        Vault == other.Vault
        && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase)
        && string.Equals(Version, other.Version, StringComparison.OrdinalIgnoreCase);

    public override int GetHashCode() => HashCode.Combine(
        Vault,
        StringComparer.OrdinalIgnoreCase.GetHashCode(Name),
        Version is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(Version));

    public override string ToString() =>
        Version is null ? $"secret '{Name}' in {Vault}" : $"secret '{Name}' (version {Version}) in {Vault}";
}
