namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>Identifies one secret: vault, name and version (null for the current one).</summary>
internal readonly record struct SecretKey(Uri Vault, string Name, string? Version)
{
    public static SecretKey For(AdlsConnection connection) =>
        new(connection.KeyVaultUri!, connection.SecretName!, connection.SecretVersion);

    public override string ToString() =>
        Version is null ? $"secret '{Name}' in {Vault}" : $"secret '{Name}' (version {Version}) in {Vault}";
}
