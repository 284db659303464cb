using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal;

// KeyVaultRequestHandler, continued. The secrets API operations, one method each: get, set, update, delete, backup, restore, lists, deleted secrets.
internal sealed partial class KeyVaultRequestHandler
{
    private static string NotFoundMessage(string id) => $"A secret with (name/id) {id} was not found in this key vault. {NotFoundHelp}";

    private static Task NotFoundAsync(Operation op, string id) =>
        op.Entry.ErrorAsync(op.Context, 404, "SecretNotFound", NotFoundMessage(id), op.CancellationToken);

    private static async Task GetAsync(Operation op)
    {
        string name = op.Route.Name!;
        SecretVersion? secret = LocalVault.IsValidSecretName(name) ? op.Vault.FindSecret(name, op.Route.Version) : null;
        if (secret is null)
        {
            await NotFoundAsync(op, op.Route.Version is null ? name : $"{name}/{op.Route.Version}").ConfigureAwait(false);
            return;
        }

        if (!secret.Enabled)
        {
            await op.Entry.ErrorAsync(op.Context, 403, "Forbidden", "Operation get is not allowed on a disabled secret.", op.CancellationToken, "SecretDisabled").ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(secret, op.Authority, op.Vault.Recovery, includeValue: true)).ConfigureAwait(false);
    }

    private static async Task SetAsync(Operation op)
    {
        string name = op.Route.Name!;
        if (!LocalVault.IsValidSecretName(name))
        {
            await BadParameterAsync(op, "The request URI contains an invalid name: " + name).ConfigureAwait(false);
            return;
        }

        using JsonDocument? body = await ReadBodyAsync(op).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        JsonElement root = body.RootElement;
        if (!root.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.String)
        {
            await BadParameterAsync(op, "Property value is required and must be a string.").ConfigureAwait(false);
            return;
        }

        var attributes = new Attributes(root);
        SecretVersion? stored = op.Vault.AddVersion(
            name,
            value.GetString()!,
            ReadString(root, "contentType"),
            attributes.Enabled ?? true,
            attributes.NotBefore.Value,
            attributes.ExpiresOn.Value,
            ReadTags(root));
        if (stored is null)
        {
            await op.Entry.ErrorAsync(op.Context, 409, "Conflict", $"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", op.CancellationToken).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(stored, op.Authority, op.Vault.Recovery, includeValue: true)).ConfigureAwait(false);
    }

    private static async Task UpdateAsync(Operation op)
    {
        string name = op.Route.Name!;
        using JsonDocument? body = await ReadBodyAsync(op).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        JsonElement root = body.RootElement;
        var attributes = new Attributes(root);
        bool hasContentType = root.TryGetProperty("contentType", out _);
        string? contentType = ReadString(root, "contentType");
        IReadOnlyDictionary<string, string>? tags = root.TryGetProperty("tags", out _) ? ReadTags(root) : null;

        // Attributes merge field by field, tags are replaced whole, the version and its creation time stay.
        SecretVersion? updated = LocalVault.IsValidSecretName(name)
            ? op.Vault.UpdateVersion(name, op.Route.Version, (current, now) => current with
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
            await NotFoundAsync(op, op.Route.Version is null ? name : $"{name}/{op.Route.Version}").ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(updated, op.Authority, op.Vault.Recovery, includeValue: false)).ConfigureAwait(false);
    }

    private static async Task DeleteAsync(Operation op)
    {
        string name = op.Route.Name!;
        DeletedSecretSnapshot? deleted = LocalVault.IsValidSecretName(name) ? op.Vault.Delete(name) : null;
        if (deleted is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.DeletedSecret(deleted, op.Authority, op.Vault.Recovery)).ConfigureAwait(false);
    }

    private static async Task GetDeletedAsync(Operation op)
    {
        string name = op.Route.Name!;
        DeletedSecretSnapshot? deleted = LocalVault.IsValidSecretName(name) ? op.Vault.FindDeleted(name) : null;
        if (deleted is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.DeletedSecret(deleted, op.Authority, op.Vault.Recovery)).ConfigureAwait(false);
    }

    private static async Task PurgeAsync(Operation op)
    {
        string name = op.Route.Name!;
        if (!LocalVault.IsValidSecretName(name) || !op.Vault.Purge(name))
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(204, body: null).ConfigureAwait(false);
    }

    private static async Task RecoverAsync(Operation op)
    {
        string name = op.Route.Name!;
        SecretVersion? recovered = LocalVault.IsValidSecretName(name) ? op.Vault.Recover(name) : null;
        if (recovered is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(recovered, op.Authority, op.Vault.Recovery, includeValue: false)).ConfigureAwait(false);
    }

    private static async Task BackupAsync(Operation op)
    {
        string name = op.Route.Name!;
        List<SecretVersion>? versions = LocalVault.IsValidSecretName(name) ? op.Vault.Backup(name) : null;
        if (versions is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Backup(SecretBackup.Write(versions))).ConfigureAwait(false);
    }

    private static async Task RestoreAsync(Operation op)
    {
        using JsonDocument? body = await ReadBodyAsync(op).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        List<SecretVersion>? versions = ReadString(body.RootElement, "value") is { } blob ? SecretBackup.TryRead(blob) : null;
        if (versions is null)
        {
            await BadParameterAsync(op, "Backup blob contains invalid or corrupt version.").ConfigureAwait(false);
            return;
        }

        SecretVersion? restored = op.Vault.Restore(versions);
        if (restored is null)
        {
            await op.Entry.ErrorAsync(op.Context, 409, "Conflict", $"Secret {versions[0].Name} already exists (or is deleted and not yet purged) in this key vault.", op.CancellationToken).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(restored, op.Authority, op.Vault.Recovery, includeValue: false)).ConfigureAwait(false);
    }

    private static async Task ListSecretsAsync(Operation op)
    {
        if (ReadPaging(op) is not { } paging)
        {
            await BadParameterAsync(op, "maxresults must be a number from 1 to 25, and $skiptoken must come from a nextLink.").ConfigureAwait(false);
            return;
        }

        // As the service does, page over the whole name index and leave the deleted names out of each page: a page
        // can then be short, or empty with a next link, and clients must follow next links until null.
        var window = Page(op.Vault.ListSecretIndex(), entry => entry.Latest.Name.ToUpperInvariant(), paging, out string? nextKey);
        string? nextLink = NextLink(op, "secrets", paging, nextKey);
        IEnumerable<SecretVersion> page = window.Where(entry => !entry.Deleted).Select(entry => entry.Latest);
        await op.RespondAsync(200, KeyVaultJson.SecretPage(page, op.Authority, op.Vault.Recovery, withVersion: false, nextLink)).ConfigureAwait(false);
    }

    private static async Task ListVersionsAsync(Operation op)
    {
        if (ReadPaging(op) is not { } paging)
        {
            await BadParameterAsync(op, "maxresults must be a number from 1 to 25, and $skiptoken must come from a nextLink.").ConfigureAwait(false);
            return;
        }

        // An unknown name lists as an empty page, not 404, as the service answers.
        string name = op.Route.Name!;
        List<SecretVersion> versions = LocalVault.IsValidSecretName(name) ? op.Vault.ListVersions(name) : [];
        List<SecretVersion> page = Page(versions, v => v.Version.ToLowerInvariant(), paging, out string? nextKey);
        string? nextLink = NextLink(op, $"secrets/{name}/versions", paging, nextKey);
        await op.RespondAsync(200, KeyVaultJson.SecretPage(page, op.Authority, op.Vault.Recovery, withVersion: true, nextLink)).ConfigureAwait(false);
    }

    private static async Task ListDeletedAsync(Operation op)
    {
        if (ReadPaging(op) is not { } paging)
        {
            await BadParameterAsync(op, "maxresults must be a number from 1 to 25, and $skiptoken must come from a nextLink.").ConfigureAwait(false);
            return;
        }

        List<DeletedSecretSnapshot> page = Page(op.Vault.ListDeletedSecrets(), s => s.Latest.Name.ToUpperInvariant(), paging, out string? nextKey);
        string? nextLink = NextLink(op, "deletedsecrets", paging, nextKey);
        await op.RespondAsync(200, KeyVaultJson.DeletedPage(page, op.Authority, op.Vault.Recovery, nextLink)).ConfigureAwait(false);
    }
}
