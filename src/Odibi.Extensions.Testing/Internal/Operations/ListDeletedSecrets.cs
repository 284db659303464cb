namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>GET /deletedsecrets</c>: a page of the deleted secrets, by name.</summary>
internal sealed class ListDeletedSecrets : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.ListDeletedSecrets;

    public string Verb => "list";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        if (Paging.Read(request.Context.Request.Query) is not { } paging)
        {
            await request.BadParameterAsync(Paging.InvalidMessage, cancellationToken).ConfigureAwait(false);
            return;
        }

        List<DeletedSecretSnapshot> page = paging.Page(request.Store.ListDeletedSecrets(), s => s.Latest.Name.ToUpperInvariant(), out string? nextKey);
        string? nextLink = paging.NextLink(request.Authority, "deletedsecrets", nextKey);
        await request.RespondAsync(200, KeyVaultJson.DeletedPage(page, request.Authority, request.Store.Recovery, nextLink), cancellationToken).ConfigureAwait(false);
    }
}
