using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>PATCH /secrets/{name}[/{version}]</c>: changes a version's properties, answered without the value.</summary>
internal sealed class UpdateSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.UpdateSecret;

    public string Verb => "update";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        using JsonDocument? body = await RequestJson.ReadObjectAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        JsonElement root = body.RootElement;
        var attributes = new SecretAttributes(root);
        bool hasContentType = root.TryGetProperty("contentType", out _);
        string? contentType = RequestJson.ReadString(root, "contentType");
        IReadOnlyDictionary<string, string>? tags = root.TryGetProperty("tags", out _) ? RequestJson.ReadTags(root) : null;

        // Attributes merge field by field, tags are replaced whole, the version and its creation time stay.
        SecretVersion? updated = SecretStore.IsValidSecretName(name)
            ? request.Store.UpdateVersion(name, request.Route.Version, (current, now) => current with
            {
                ContentType = hasContentType ? contentType : current.ContentType,
                Enabled = attributes.Enabled ?? current.Enabled,
                NotBefore = attributes.NotBefore.Present ? attributes.NotBefore.Value : current.NotBefore,
                ExpiresOn = attributes.ExpiresOn.Present ? attributes.ExpiresOn.Value : current.ExpiresOn,
                Tags = tags ?? current.Tags,
                Updated = now,
            })
            : null;
        if (updated is null)
        {
            await request.NotFoundAsync(request.Route.Version is null ? name : $"{name}/{request.Route.Version}", cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.Secret(updated, request.Authority, request.Store.Recovery, includeValue: false), cancellationToken).ConfigureAwait(false);
    }
}
