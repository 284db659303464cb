using Microsoft.AspNetCore.Http;
using Odibi.Extensions.Testing.Internal;

namespace Odibi.Extensions.Tests.Testing.Internal;

public sealed class SecretRouteTests
{
    [Theory]
    [InlineData("GET", "/secrets", nameof(SecretOperation.ListSecrets), null, null)]
    [InlineData("GET", "/secrets/", nameof(SecretOperation.ListSecrets), null, null)]
    [InlineData("PUT", "/secrets/", nameof(SecretOperation.MethodNotAllowed), null, null)]
    [InlineData("GET", "/secrets/db/", nameof(SecretOperation.GetSecret), "db", null)]
    [InlineData("GET", "/secrets/db/0123456789abcdef0123456789abcdef", nameof(SecretOperation.GetSecret), "db", "0123456789abcdef0123456789abcdef")]
    [InlineData("PUT", "/secrets/db", nameof(SecretOperation.SetSecret), "db", null)]
    [InlineData("PATCH", "/secrets/db/0123456789abcdef0123456789abcdef", nameof(SecretOperation.UpdateSecret), "db", "0123456789abcdef0123456789abcdef")]
    [InlineData("DELETE", "/secrets/db", nameof(SecretOperation.DeleteSecret), "db", null)]
    [InlineData("DELETE", "/secrets/db/0123456789abcdef0123456789abcdef", nameof(SecretOperation.MethodNotAllowed), "db", "0123456789abcdef0123456789abcdef")]
    [InlineData("GET", "/secrets/db/versions", nameof(SecretOperation.ListVersions), "db", null)]
    [InlineData("GET", "/secrets/versions", nameof(SecretOperation.GetSecret), "versions", null)]
    [InlineData("POST", "/secrets/db/backup", nameof(SecretOperation.BackupSecret), "db", null)]
    [InlineData("GET", "/secrets/restore", nameof(SecretOperation.GetSecret), "restore", null)]
    [InlineData("POST", "/secrets/restore", nameof(SecretOperation.RestoreSecret), null, null)]
    [InlineData("GET", "/deletedsecrets", nameof(SecretOperation.ListDeletedSecrets), null, null)]
    [InlineData("GET", "/deletedsecrets/db", nameof(SecretOperation.GetDeletedSecret), "db", null)]
    [InlineData("DELETE", "/deletedsecrets/db", nameof(SecretOperation.PurgeDeletedSecret), "db", null)]
    [InlineData("POST", "/deletedsecrets/db/recover", nameof(SecretOperation.RecoverDeletedSecret), "db", null)]
    [InlineData("GET", "/keys/k", nameof(SecretOperation.Unsupported), null, null)]
    [InlineData("GET", "/", nameof(SecretOperation.Unsupported), null, null)]
    public void Parse_MethodAndPath_GivesTheServiceOperation(string method, string path, string operation, string? name, string? version)
    {
        SecretRoute route = SecretRoute.Parse(method, new PathString(path));

        Assert.Equal(new SecretRoute(Enum.Parse<SecretOperation>(operation), name, version), route);
    }
}
