using Microsoft.AspNetCore.Http;

namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary>A request that passed the handler's pipeline, with what an operation needs to answer it.</summary>
/// <param name="Context">The HTTP exchange: the query and body to read, the response to write.</param>
/// <param name="Entry">The request log entry; every answer goes through it.</param>
/// <param name="Store">The secrets of the vault the request is for.</param>
/// <param name="Route">The operation and the secret the request addresses.</param>
/// <param name="Authority">The vault host the client believes it talks to, for the ids in the answer.</param>
internal sealed record SecretRequest(HttpContext Context, RequestEntry Entry, SecretStore Store, SecretRoute Route, string Authority)
{
    public Task RespondAsync(int statusCode, byte[]? body, CancellationToken cancellationToken) =>
        Entry.RespondAsync(Context, statusCode, body, cancellationToken);

    public Task ErrorAsync(int statusCode, string code, string message, CancellationToken cancellationToken, string? innerCode = null) =>
        Entry.ErrorAsync(Context, statusCode, code, message, cancellationToken, innerCode);

    /// <summary>Answers 404 <c>SecretNotFound</c> for <paramref name="id"/>, a secret name or <c>{name}/{version}</c>.</summary>
    public Task NotFoundAsync(string id, CancellationToken cancellationToken) =>
        ErrorAsync(404, "SecretNotFound", KeyVaultErrors.SecretNotFound(id), cancellationToken);

    public Task BadParameterAsync(string message, CancellationToken cancellationToken) =>
        ErrorAsync(400, "BadParameter", message, cancellationToken);
}
