using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Holds a slot of the vault's <see cref="AdaptiveConcurrencyLimiter"/> for each attempt (added per retry, so a request
/// waiting out a Retry-After holds no slot) and reports the answer to it.
/// </summary>
internal sealed class VaultConcurrencyPolicy(AdaptiveConcurrencyLimiter limiter) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var sent = await limiter.EnterAsync(message.CancellationToken).ConfigureAwait(false);
        var status = 0;
        TimeSpan? retryAfter = null;
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            status = message.HasResponse ? message.Response.Status : 0;
            if (status == 429 && message.Response.Headers.TryGetValue("Retry-After", out var value)
                && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
            {
                retryAfter = TimeSpan.FromSeconds(seconds);
            }
        }
        finally
        {
            limiter.Exit(sent, status, retryAfter);
        }
    }
}
