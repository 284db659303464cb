namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary><c>POST /secrets/{name}/backup</c>: every version of a secret in an opaque blob (see <see cref="SecretBackup"/>).</summary>
internal sealed class BackupSecret : ISecretOperation
{
    public SecretOperation Operation => SecretOperation.BackupSecret;

    public string Verb => "backup";

    public async Task HandleAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        string name = request.Route.Name!;
        List<SecretVersion>? versions = SecretStore.IsValidSecretName(name) ? request.Store.Backup(name) : null;
        if (versions is null)
        {
            await request.NotFoundAsync(name, cancellationToken).ConfigureAwait(false);
            return;
        }

        await request.RespondAsync(200, KeyVaultJson.Backup(SecretBackup.Write(versions)), cancellationToken).ConfigureAwait(false);
    }
}
