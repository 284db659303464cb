namespace Odibi.Extensions.Internal;

/// <summary>Supplies the Key Vault secret of a connection.</summary>
internal interface ISecretSource
{
    ValueTask<string> GetSecretAsync(AdlsConnection connection, CancellationToken cancellationToken);

    /// <summary>The synchronous form, for the synchronous Blob API: a read it starts runs on the calling thread.</summary>
    string GetSecret(AdlsConnection connection, CancellationToken cancellationToken);
}
