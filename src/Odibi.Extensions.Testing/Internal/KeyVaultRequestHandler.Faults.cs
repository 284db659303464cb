using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Odibi.Extensions.Testing.Internal;

// KeyVaultRequestHandler, continued. The injected faults: status codes, hangs, dropped connections, malformed bodies, disabled secrets.
internal sealed partial class KeyVaultRequestHandler
{
    private async Task ApplyFaultAsync(HttpContext context, RequestEntry entry, LocalKeyVaultFault fault, string? secretName, string operation, CancellationToken cancellationToken)
    {
        if (fault.RetryAfter is TimeSpan retryAfter)
        {
            context.Response.Headers.RetryAfter = ToRetryAfterSeconds(retryAfter);
        }

        switch (fault.Kind)
        {
            case LocalKeyVaultFaultKind.Hang:
                entry.Record(statusCode: null);
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                break;

            case LocalKeyVaultFaultKind.DropConnection:
                entry.Record(statusCode: null);
                context.Abort();
                break;

            case LocalKeyVaultFaultKind.MalformedBody:
                await entry.RespondAsync(context, 200, KeyVaultJson.Malformed(), cancellationToken).ConfigureAwait(false);
                break;

            case LocalKeyVaultFaultKind.Disabled:
                await entry.ErrorAsync(context, 403, "Forbidden", $"Operation {operation} is not allowed on a disabled secret.", cancellationToken, "SecretDisabled").ConfigureAwait(false);
                break;

            default:
                if (fault.StatusCode == 401)
                {
                    context.Response.Headers.WWWAuthenticate = ChallengeFor(context);
                }

                (string code, string message, string? innerCode) = DescribeStatus(fault.StatusCode, secretName);
                await entry.ErrorAsync(context, fault.StatusCode, code, message, cancellationToken, innerCode).ConfigureAwait(false);
                break;
        }
    }

    private static (string Code, string Message, string? InnerCode) DescribeStatus(int statusCode, string? secretName) => statusCode switch
    {
        401 => ("Unauthorized", "AKV10032: Invalid issuer. (LocalKeyVault injected fault)", null),
        403 => ("Forbidden", "Caller is not authorized to perform action on resource. (LocalKeyVault injected fault)", "ForbiddenByRbac"),
        404 => ("SecretNotFound", KeyVaultErrors.SecretNotFound(secretName), null),
        429 => ("Throttled", ThrottledMessage, null),
        500 => ("InternalServerError", "The server encountered an internal error. (LocalKeyVault injected fault)", null),
        503 => ("ServiceUnavailable", "The service is temporarily unavailable. (LocalKeyVault injected fault)", null),
        _ => (ReasonPhrases.GetReasonPhrase(statusCode).Replace(" ", string.Empty, StringComparison.Ordinal) is { Length: > 0 } code ? code : "Error",
              "LocalKeyVault injected fault.", null),
    };
}
