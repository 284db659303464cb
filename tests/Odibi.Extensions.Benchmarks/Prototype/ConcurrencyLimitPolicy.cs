using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Benchmarks.Prototype;

/// <summary>
/// Holds a slot of the vault's limiter for each attempt (added per retry, so a request waiting out a Retry-After holds
/// no slot) and reports the answer to it.
/// </summary>
internal sealed class ConcurrencyLimitPolicy(AdaptiveConcurrencyLimiter limiter) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var sent = await limiter.EnterAsync(message.CancellationToken);
        var status = 0;
        TimeSpan? retryAfter = null;
        try
        {
            await ProcessNextAsync(message, pipeline);
            status = message.HasResponse ? message.Response.Status : 0;
            if (status == 429 && message.Response.Headers.TryGetValue("Retry-After", out var value)
                && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
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
