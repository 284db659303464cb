namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>GET /deletedsecrets/{name}</c>: a deleted secret, without its value.</summary>
internal sealed class GetDeletedSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.GetDeletedSecret;

    public string Verb => "get";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        DeletedSecretSnapshot? deleted = SecretStore.IsValidSecretName(name) ? request.Store.FindDeleted(name) : null;
        if (deleted is null)
        {
            await request.NotFoundAsync(name, cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.DeletedSecret(deleted, request.Authority, request.Store.Recovery), cancellationToken).ConfigureAwait(false);
    }
}
