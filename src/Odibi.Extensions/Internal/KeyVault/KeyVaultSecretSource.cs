namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>Serves a connection's Key Vault secret from the cache, fetching it on first use, and keeps its status.</summary>
internal sealed class KeyVaultSecretSource(SecretCache cache) : ISecretSource
{
    public async ValueTask<string> GetSecretAsync(AdlsConnection connection, CancellationToken cancellationToken)
    {
        string value;
        try
        {
            value = await cache.GetAsync(SecretKey.For(connection), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            var error = SecretFailures.ForConnection(connection, exception);
            connection.MarkReadFailed(error);
            throw error;
        }

        if (connection.AuthMode != AdlsAuthMode.ServicePrincipal)
        {
            connection.MarkReadSucceeded();
        }

        return connection.AuthMode == AdlsAuthMode.SasToken ? value.TrimStart('?') : value;
    }
}
