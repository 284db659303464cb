using Azure.Core;

namespace Odibi.Extensions.ColdStart;

/// <summary>Hands out a token after a fixed delay, standing in for the identity endpoint's latency T, and counts the requests.</summary>
internal sealed class DelayedTokenCredential(TimeSpan latency) : TokenCredential
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, cancellationToken).ConfigureAwait(false);
        }

        return new AccessToken("cold-start-token", DateTimeOffset.UtcNow.AddHours(1));
    }
}
