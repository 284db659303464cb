using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Testing.Internal;

// KeyVaultRequestHandler, continued. One request as it is logged and answered: the request log entry, errors and responses with the service headers.
internal sealed partial class KeyVaultRequestHandler
{
    /// <summary>What is known about the request so far; recorded in the request log just before the answer is sent.</summary>
    private sealed record Entry(KeyVaultRequestHandler Handler, DateTimeOffset Arrived, string Method, string? VaultName, string? VaultHost, SecretRoute Route, bool HasToken)
    {
        public LocalKeyVaultFault? Fault { get; init; }

        public void Record(int? statusCode)
        {
            Handler._server.Record(new LocalKeyVaultRequest(Arrived, Method, VaultName, VaultHost, Route.Name, Route.Version, statusCode, HasToken, Fault));
            if (Handler._logger.IsEnabled(LogLevel.Debug))
            {
                LocalKeyVaultLog.Request(
                    Handler._logger,
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

    /// <summary>A request being answered, with what each operation needs.</summary>
    private sealed record Operation(HttpContext Context, Entry Entry, LocalVault Vault, SecretRoute Route, string Authority, CancellationToken CancellationToken)
    {
        public Task RespondAsync(int statusCode, byte[]? body) => Entry.RespondAsync(Context, statusCode, body, CancellationToken);
    }
}
