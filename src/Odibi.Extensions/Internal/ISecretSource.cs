namespace Odibi.Extensions.Internal;

/// <summary>Supplies the Key Vault secret of a connection.</summary>
internal interface ISecretSource
{
    ValueTask<string> GetSecretAsync(AdlsConnection connection, CancellationToken cancellationToken);
}
