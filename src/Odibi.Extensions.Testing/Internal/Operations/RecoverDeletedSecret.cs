namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>POST /deletedsecrets/{name}/recover</c>: brings a deleted secret back, answered without the value.</summary>
internal sealed class RecoverDeletedSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.RecoverDeletedSecret;

    public string Verb => "recover";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        SecretVersion? recovered = SecretStore.IsValidSecretName(name) ? request.Store.Recover(name) : null;
        if (recovered is null)
        {
            await request.NotFoundAsync(name, cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.Secret(recovered, request.Authority, request.Store.Recovery, includeValue: false), cancellationToken).ConfigureAwait(false);
    }
}
