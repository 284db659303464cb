using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// What is known about a request so far; recorded in the server's request log (and the debug log) just before the
/// answer is sent, which <see cref="RespondAsync"/> and <see cref="ErrorAsync"/> do.
/// </summary>
internal sealed record RequestEntry(LocalKeyVault Server, ILogger Logger, DateTimeOffset Arrived, string Method, string? VaultName, string? VaultHost, SecretRoute Route, bool HasToken)
{
    public LocalKeyVaultFault? Fault { get; init; }

    public void Record(int? statusCode)
    {
        Server.Record(new LocalKeyVaultRequest(Arrived, Method, VaultName, VaultHost, Route.Name, Route.Version, statusCode, HasToken, Fault));
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            LocalKeyVaultLog.Request(
                Logger,
                Method,
                VaultName,
                Route.Name,
                Route.Version ?? "latest",
                statusCode?.ToString(CultureInfo.InvariantCulture) ?? "no response",
                HasToken,
                Fault?.ToString() ?? "none");
        }
    }

    public Task ErrorAsync(HttpContext context, int statusCode, string code, string message, CancellationToken cancellationToken, string? innerCode = null)
    {
        return RespondAsync(context, statusCode, KeyVaultJson.Error(code, message, innerCode), cancellationToken);
    }

    public async Task RespondAsync(HttpContext context, int statusCode, byte[]? body, CancellationToken cancellationToken)
    {
        Record(statusCode);
        HttpResponse response = context.Response;
        response.StatusCode = statusCode;
        if (body is null)
        {
            response.ContentLength = 0;
            return;
        }

        response.ContentType = KeyVaultJson.ContentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }
}
