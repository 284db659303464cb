namespace Odibi.Extensions.Internal;

/// <summary>Placeholder until the Key Vault prefetch lands.</summary>
internal sealed class KeyVaultNotConfiguredSecretSource : ISecretSource
{
    public ValueTask<string> GetSecretAsync(AdlsConnection connection, CancellationToken cancellationToken) =>
        throw new NotSupportedException(
            $"Connection '{connection.Name}' reads secret '{connection.SecretName}' from {connection.KeyVaultUri}, but Key Vault access is not available in this build.");
}
