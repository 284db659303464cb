namespace Odibi.Extensions;

/// <summary>The outcome of one connection in a prefetch. Holds no secret value.</summary>
/// <param name="ConnectionName">The connection name.</param>
/// <param name="Account">The storage account of the connection.</param>
/// <param name="KeyVaultUri">The vault the secret came from, or <see langword="null"/> for an identity token.</param>
/// <param name="SecretName">The secret name, or <see langword="null"/> for an identity token.</param>
/// <param name="Success">Whether the connection is ready.</param>
/// <param name="Error">Why it is not; its message names the connection, the vault and secret, and the fix.</param>
/// <param name="Duration">How long the connection's fetch took, waiting for a free slot included.</param>
public sealed record KeyVaultFetchResult(
    string ConnectionName,
    string Account,
    Uri? KeyVaultUri,
    string? SecretName,
    bool Success,
    Exception? Error,
    TimeSpan Duration);
