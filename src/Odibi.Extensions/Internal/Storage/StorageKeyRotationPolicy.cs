using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// Signs a connection's requests with its Key Vault key or SAS, obtained when the request is sent (never when the client
/// is created), and heals a rotated one without a restart: when storage answers 403 <c>AuthenticationFailed</c> or
/// <c>AuthorizationFailure</c> to the value a request was signed with, the secret is read from the vault again and, if
/// it changed, the request is sent once more. Runs per call, outside the retry policy, so the retry re-signs.
/// </summary>
internal sealed class StorageKeyRotationPolicy(RotatingStorageSecret secret) : HttpPipelinePolicy
{
    private const string ErrorCodeHeader = "x-ms-error-code";

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: true);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

    internal static bool IsAuthFailure(Response response) =>
        response.Status == 403 &&
        response.Headers.TryGetValue(ErrorCodeHeader, out var code) &&
        code is "AuthenticationFailed" or "AuthorizationFailure";

    private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        var signedWith = await secret.EnsureAsync(async, message.CancellationToken).ConfigureAwait(false);
        await SendAsync(message, pipeline, async).ConfigureAwait(false);

        if (!message.HasResponse || !IsAuthFailure(message.Response) ||
            !await secret.RenewAsync(signedWith, async, message.CancellationToken).ConfigureAwait(false))
        {
            return;
        }

        message.Response.ContentStream?.Dispose(); // frees the connection of a streamed (download) response
        await SendAsync(message, pipeline, async).ConfigureAwait(false);
    }

    private static async ValueTask SendAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        if (async)
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        else
        {
            ProcessNext(message, pipeline);
        }
    }
}
