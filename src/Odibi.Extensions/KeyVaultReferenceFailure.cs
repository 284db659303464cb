namespace Odibi.Extensions;

/// <summary>A Key Vault secret named in configuration that could not be read. Never holds a value.</summary>
/// <param name="Path">The configuration path, e.g. <c>ConnectionStrings:Orders</c> (the vault, for a listing that failed).</param>
/// <param name="VaultUri">The vault, or <see langword="null"/> when the reference was malformed.</param>
/// <param name="SecretName">The secret, or <see langword="null"/> when the reference was malformed.</param>
/// <param name="Message">The cause and the fix.</param>
public sealed record KeyVaultReferenceFailure(string Path, Uri? VaultUri, string? SecretName, string Message);
