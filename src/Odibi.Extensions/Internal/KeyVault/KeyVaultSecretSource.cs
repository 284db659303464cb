namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Serves a connection's Key Vault secret from the cache, fetching it on first use. Moves no status: whether the
/// connection is ready is for its lifecycle to say (a secret alone is not a working connection).
/// </summary>
internal sealed class KeyVaultSecretSource(SecretCache cache) : ISecretSource
{
    public async ValueTask<string> GetSecretAsync(AdlsConnection connection, bool async, CancellationToken cancellationToken)
    {
        var key = SecretKey.For(connection);
        string value;
        try
        {
            value = async ? await cache.GetAsync(key, cancellationToken).ConfigureAwait(false) : cache.Get(key, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            throw SecretFailures.ForConnection(connection, exception);
        }

        return connection.AuthMode == AdlsAuthMode.SasToken ? value.TrimStart('?') : value;
    }
}
