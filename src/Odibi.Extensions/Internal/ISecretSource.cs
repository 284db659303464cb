namespace Odibi.Extensions.Internal;

/// <summary>Supplies the Key Vault secret of a connection.</summary>
internal interface ISecretSource
{
    /// <summary>Gets the secret; with <paramref name="async"/> false (the synchronous Blob API) a read it starts runs on the calling thread and completes there.</summary>
    ValueTask<string> GetSecretAsync(AdlsConnection connection, bool async, CancellationToken cancellationToken);
}
