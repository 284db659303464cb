using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>PUT /secrets/{name}</c>: adds a version; 409 while the name belongs to a deleted secret.</summary>
internal sealed class SetSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.SetSecret;

    public string Verb => "set";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        if (!SecretStore.IsValidSecretName(name))
        {
            await request.BadParameterAsync("The request URI contains an invalid name: " + name, cancellationToken).ConfigureAwait(false);
            return;
        }

        using JsonDocument? body = await RequestJson.ReadObjectAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        JsonElement root = body.RootElement;
        if (!root.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.String)
        {
            await request.BadParameterAsync("Property value is required and must be a string.", cancellationToken).ConfigureAwait(false);
            return;
        }

        var attributes = new SecretAttributes(root);
        SecretVersion? stored = request.Store.AddVersion(
            name,
            value.GetString()!,
            RequestJson.ReadString(root, "contentType"),
            attributes.Enabled ?? true,
            attributes.NotBefore.Value,
            attributes.ExpiresOn.Value,
            RequestJson.ReadTags(root));
        if (stored is null)
        {
            await request.ErrorAsync(409, "Conflict", $"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.Secret(stored, request.Authority, request.Store.Recovery, includeValue: true), cancellationToken).ConfigureAwait(false);
    }
}
