using System.Collections.Concurrent;
using Azure.Core;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Wraps the app's credential so that it is asked once per (scopes, tenant, claims) until the token nears expiry,
/// however many vault clients (each with its own token cache) ask for it. Concurrent callers share one acquisition.
/// Also tells a watcher in the current async flow that a token was requested: the moment a vault's challenge is
/// known, which is when the rest of that vault's requests can go out.
/// </summary>
internal sealed class SharedTokenCredential(TokenCredential inner, TimeProvider time) : TokenCredential
{
    private static readonly AsyncLocal<TaskCompletionSource?> Watcher = new();
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public TokenCredential Inner => inner;

    /// <summary>Completes <paramref name="signal"/> when a token is requested from this async flow onward.</summary>
    public static void WatchTokenRequests(TaskCompletionSource signal) => Watcher.Value = signal;

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Watcher.Value?.TrySetResult();
        var key = $"{string.Join(' ', requestContext.Scopes)}|{requestContext.TenantId}|{requestContext.Claims}|{requestContext.IsCaeEnabled}";
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        Task<AccessToken> acquisition;
        lock (entry)
        {
            if (entry.Current is { IsCompletedSuccessfully: true } done && done.Result.ExpiresOn - RefreshMargin > time.GetUtcNow())
            {
                return ValueTask.FromResult(done.Result);
            }

            if (entry.Current is null || entry.Current.IsCompleted)
            {
                // Not the caller's token: one caller giving up must not fail the others sharing the acquisition.
                entry.Current = Task.Run(() => inner.GetTokenAsync(requestContext, CancellationToken.None).AsTask(), CancellationToken.None);
            }

            acquisition = entry.Current;
        }

        return new ValueTask<AccessToken>(acquisition.WaitAsync(cancellationToken));
    }

    private sealed class Entry
    {
        public Task<AccessToken>? Current { get; set; }
    }
}
