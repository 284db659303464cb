using Microsoft.AspNetCore.Http;

namespace Odibi.Extensions.Testing.Internal;

// KeyVaultRequestHandler, continued. The injected faults: status codes, hangs, dropped connections, malformed bodies, disabled secrets.
internal sealed partial class KeyVaultRequestHandler
{
    private static async Task ApplyFaultAsync(HttpContext context, Entry entry, LocalKeyVaultFault fault, string? secretName, string operation, CancellationToken cancellationToken)
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
                    context.Response.Headers.WWWAuthenticate = entry.Handler._challenge;
                }

                (string code, string message, string? innerCode) = DescribeStatus(fault.StatusCode, secretName);
                await entry.ErrorAsync(context, fault.StatusCode, code, message, cancellationToken, innerCode).ConfigureAwait(false);
                break;
        }
    }
}
