namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>GET /secrets/{name}[/{version}]</c>: a version with its value; 403 if it is disabled.</summary>
internal sealed class GetSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.GetSecret;

    public string Verb => "get";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        SecretVersion? secret = SecretStore.IsValidSecretName(name) ? request.Store.FindSecret(name, request.Route.Version) : null;
        if (secret is null)
        {
            await request.NotFoundAsync(request.Route.Version is null ? name : $"{name}/{request.Route.Version}", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!secret.Enabled)
        {
            await request.ErrorAsync(403, "Forbidden", "Operation get is not allowed on a disabled secret.", cancellationToken, "SecretDisabled").ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.Secret(secret, request.Authority, request.Store.Recovery, includeValue: true), cancellationToken).ConfigureAwait(false);
    }
}
