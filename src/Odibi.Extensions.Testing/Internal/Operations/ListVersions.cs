namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>GET /secrets/{name}/versions</c>: a page of a secret's versions, by version id, without values.</summary>
internal sealed class ListVersions : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.ListVersions;

    public string Verb => "list";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        if (Paging.Read(request.Context.Request.Query) is not { } paging)
        {
            await request.BadParameterAsync(Paging.InvalidMessage, cancellationToken).ConfigureAwait(false);
            return;
        }

        // An unknown name lists as an empty page, not 404, as the service answers.
        string name = request.Route.Name!;
        List<SecretVersion> versions = SecretStore.IsValidSecretName(name) ? request.Store.ListVersions(name) : [];
        List<SecretVersion> page = paging.Page(versions, v => v.Version.ToLowerInvariant(), out string? nextKey);
        string? nextLink = paging.NextLink(request.Authority, $"secrets/{name}/versions", nextKey);
        await request.RespondAsync(200, KeyVaultJson.SecretPage(page, request.Authority, request.Store.Recovery, withVersion: true, nextLink), cancellationToken).ConfigureAwait(false);
    }
}
