namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>GET /secrets</c>: a page of the active secrets, by name, without values.</summary>
internal sealed class ListSecrets : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.ListSecrets;

    public string Verb => "list";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        if (Paging.Read(request.Context.Request.Query) is not { } paging)
        {
            await request.BadParameterAsync(Paging.InvalidMessage, cancellationToken).ConfigureAwait(false);
            return;
        }

        // As the service does, page over the whole name index and leave the deleted names out of each page: a page
        // can then be short, or empty with a next link, and clients must follow next links until null.
        var window = paging.Page(request.Store.ListSecretIndex(), entry => entry.Latest.Name.ToUpperInvariant(), out string? nextKey);
        string? nextLink = paging.NextLink(request.Authority, "secrets", nextKey);
        IEnumerable<SecretVersion> page = window.Where(entry => !entry.Deleted).Select(entry => entry.Latest);
        await request.RespondAsync(200, KeyVaultJson.SecretPage(page, request.Authority, request.Store.Recovery, withVersion: false, nextLink), cancellationToken).ConfigureAwait(false);
    }
}
