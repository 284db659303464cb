namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>DELETE /deletedsecrets/{name}</c>: removes a deleted secret for good; 204.</summary>
internal sealed class PurgeDeletedSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.PurgeDeletedSecret;

    public string Verb => "purge";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        if (!SecretStore.IsValidSecretName(name) || !request.Store.Purge(name))
        {
            await request.NotFoundAsync(name, cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(204, body: null, cancellationToken).ConfigureAwait(false);
    }
}
