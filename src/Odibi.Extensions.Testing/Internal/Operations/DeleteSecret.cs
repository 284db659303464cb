namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>DELETE /secrets/{name}</c>: soft-deletes a secret with all its versions.</summary>
internal sealed class DeleteSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.DeleteSecret;

    public string Verb => "delete";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        DeletedSecretSnapshot? deleted = SecretStore.IsValidSecretName(name) ? request.Store.Delete(name) : null;
        if (deleted is null)
        {
            await request.NotFoundAsync(name, cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.DeletedSecret(deleted, request.Authority, request.Store.Recovery), cancellationToken).ConfigureAwait(false);
    }
}
