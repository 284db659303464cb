using System.Collections.Concurrent;
using Azure.Core;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Wraps the app's credential so that it is asked once per (scopes, tenant, claims) until the token nears expiry,
/// however many vault clients (each with its own token cache) ask for it. Concurrent callers share one acquisition,
/// for at most <see cref="PrefetchOptions.FetchTimeout"/>: a caller gets a <see cref="TimeoutException"/> when the
/// acquisition it joined has run that long, and a caller arriving after that starts a fresh one (a hung identity
/// endpoint costs one FetchTimeout, not the life of the process).
/// </summary>
internal sealed class SharedTokenCredential(TokenCredential inner, TimeSpan fetchTimeout, TimeProvider time) : TokenCredential
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public TokenCredential Inner => inner;

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var key = $"{string.Join(' ', requestContext.Scopes)}|{requestContext.TenantId}|{requestContext.Claims}|{requestContext.IsCaeEnabled}";
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        Acquisition acquisition;
        lock (entry)
        {
            if (entry.Current is { Token.IsCompletedSuccessfully: true } done && done.Token.Result.ExpiresOn - RefreshMargin > time.GetUtcNow())
            {
                return ValueTask.FromResult(done.Token.Result);
            }

            var now = time.GetTimestamp();
            if (entry.Current is null || entry.Current.Token.IsCompleted || time.GetElapsedTime(entry.Current.Started, now) >= fetchTimeout)
            {
                // Not the caller's token: one caller giving up must not fail the others sharing the acquisition.
                var token = Task.Run(() => inner.GetTokenAsync(requestContext, CancellationToken.None).AsTask(), CancellationToken.None);
                _ = token.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                entry.Current = new Acquisition(token, now);
            }

            acquisition = entry.Current;
        }

        return WaitAsync(acquisition, cancellationToken);
    }

    private async ValueTask<AccessToken> WaitAsync(Acquisition acquisition, CancellationToken cancellationToken)
    {
        var left = fetchTimeout - time.GetElapsedTime(acquisition.Started);
        try
        {
            return await acquisition.Token.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!acquisition.Token.IsCompleted)
        {
            throw new TimeoutException(
                $"The credential ({inner.GetType().Name}) did not return a token within {fetchTimeout} (Odibi:Prefetch:FetchTimeout): " +
                "check that its identity endpoint is reachable; the next request starts a fresh token request.");
        }
    }

    private sealed record Acquisition(Task<AccessToken> Token, long Started);

    private sealed class Entry
    {
        public Acquisition? Current { get; set; }
    }
}
