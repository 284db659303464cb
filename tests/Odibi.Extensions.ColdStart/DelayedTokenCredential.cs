using Azure.Core;

namespace Odibi.Extensions.ColdStart;

/// <summary>Hands out a token after a fixed delay, standing in for the identity endpoint's latency T.</summary>
internal sealed class DelayedTokenCredential(TimeSpan latency) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, cancellationToken).ConfigureAwait(false);
        }

        return new AccessToken("cold-start-token", DateTimeOffset.UtcNow.AddHours(1));
    }
}
