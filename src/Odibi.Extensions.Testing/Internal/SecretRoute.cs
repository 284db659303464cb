using Microsoft.AspNetCore.Http;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// The operation a request asks for and the secret it addresses, from its method and path:
/// <c>/secrets[/]</c>, <c>/secrets/{name}[/{version}]</c> (an empty version, as in <c>/secrets/{name}/</c>, is the
/// latest), <c>/secrets/{name}/versions</c>, <c>/secrets/{name}/backup</c>, <c>/secrets/restore</c>,
/// <c>/deletedsecrets[/{name}[/recover]]</c>.
/// </summary>
internal readonly record struct SecretRoute(SecretOperation Operation, string? Name, string? Version)
{
    public static SecretRoute Parse(string method, PathString path)
    {
        string[] segments = (path.Value ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is 0 or > 3)
        {
            return default;
        }

        string? name = segments.Length > 1 ? segments[1] : null;
        string? third = segments.Length > 2 ? segments[2] : null;
        if (string.Equals(segments[0], "secrets", StringComparison.OrdinalIgnoreCase))
        {
            return (segments.Length, method) switch
            {
                (1, "GET") => new(SecretOperation.ListSecrets, null, null),
                (1, _) => new(SecretOperation.MethodNotAllowed, null, null),
                (2, "POST") when string.Equals(name, "restore", StringComparison.OrdinalIgnoreCase) => new(SecretOperation.RestoreSecret, null, null),
                (2, "GET") => new(SecretOperation.GetSecret, name, null),
                (2, "PUT") => new(SecretOperation.SetSecret, name, null),
                (2, "PATCH") => new(SecretOperation.UpdateSecret, name, null),
                (2, "DELETE") => new(SecretOperation.DeleteSecret, name, null),
                (3, "GET") when string.Equals(third, "versions", StringComparison.OrdinalIgnoreCase) => new(SecretOperation.ListVersions, name, null),
                (3, "POST") when string.Equals(third, "backup", StringComparison.OrdinalIgnoreCase) => new(SecretOperation.BackupSecret, name, null),
                (3, "GET") => new(SecretOperation.GetSecret, name, third),
                (3, "PATCH") => new(SecretOperation.UpdateSecret, name, third),
                _ => new(SecretOperation.MethodNotAllowed, name, third),
            };
        }

        if (string.Equals(segments[0], "deletedsecrets", StringComparison.OrdinalIgnoreCase))
        {
            return (segments.Length, method) switch
            {
                (1, "GET") => new(SecretOperation.ListDeletedSecrets, null, null),
                (2, "GET") => new(SecretOperation.GetDeletedSecret, name, null),
                (2, "DELETE") => new(SecretOperation.PurgeDeletedSecret, name, null),
                (3, "POST") when string.Equals(third, "recover", StringComparison.OrdinalIgnoreCase) => new(SecretOperation.RecoverDeletedSecret, name, null),
                _ => new(SecretOperation.MethodNotAllowed, name, null),
            };
        }

        return default;
    }
}
