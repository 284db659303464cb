using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>POST /secrets/restore</c>: a secret back from a backup blob; 409 if its name is taken, deleted or not.</summary>
internal sealed class RestoreSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.RestoreSecret;

    public string Verb => "restore";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        using JsonDocument? body = await RequestJson.ReadObjectAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        List<SecretVersion>? versions = RequestJson.ReadString(body.RootElement, "value") is { } blob ? SecretBackup.TryRead(blob) : null;
        if (versions is null)
        {
            await request.BadParameterAsync("Backup blob contains invalid or corrupt version.", cancellationToken).ConfigureAwait(false);
            return;
        }

        SecretVersion? restored = request.Store.Restore(versions);
        if (restored is null)
        {
            await request.ErrorAsync(409, "Conflict", $"Secret {versions[0].Name} already exists (or is deleted and not yet purged) in this key vault.", cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.Secret(restored, request.Authority, request.Store.Recovery, includeValue: false), cancellationToken).ConfigureAwait(false);
    }
}
