using System.Collections.Concurrent;
using Azure.Core;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Wraps the app's credential so that it is asked once per (scopes, tenant, CAE) until the token nears expiry, however
/// many vault clients (each with its own token cache) ask for it. Concurrent callers share one acquisition, for at most
/// <see cref="PrefetchOptions.FetchTimeout"/>: a caller gets a <see cref="TimeoutException"/> when the acquisition it
/// joined has run that long, and a caller arriving after that starts a fresh one (a hung identity endpoint costs one
/// FetchTimeout, not the life of the process). A failed acquisition is handed to the callers that arrive within a short
/// back-off (<see cref="RetryTiming.FailureDelay"/>), so N secrets waiting on a broken identity cost it one request and
/// all fail with its error. Requests with claims (a server's CAE challenge) are not shared nor kept: the server chooses
/// them, so keeping them would grow without bound; at most <see cref="MaxEntries"/> kinds of request are kept.
/// <para>
/// A request naming a tenant (the SDK's, after a vault's challenge) first waits for a token being or already fetched
/// for the same scopes with no tenant, the credential's own (<see cref="EarlyToken"/> starts one while the challenge is
/// on its way): when that token says it was issued in the named tenant (<see cref="TokenTenant"/>), it is the answer,
/// and the credential is asked once. Otherwise, another tenant or a token that names none, the credential is asked for
/// the named tenant as usual, once the own token has come (a vault in another tenant waits for both, one after the
/// other, the first time). The synchronous path takes the own token only when it has already come.
/// </para>
/// </summary>
internal sealed class SharedTokenCredential(TokenCredential inner, TimeSpan fetchTimeout, TimeProvider time, RetryTiming? timing = null) : TokenCredential
{
    /// <summary>The most kinds of token request kept; more (a misbehaving server's tenants) go to the credential unshared.</summary>
    internal const int MaxEntries = 32;

    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly RetryTiming _timing = timing ?? RetryTiming.Default;

    public TokenCredential Inner => inner;

    /// <summary>Gets how many kinds of token request are kept.</summary>
    internal int EntryCount => _entries.Count;

    /// <summary>
    /// The synchronous form, for the SDK's synchronous pipelines: an acquisition this call starts runs on this thread
    /// with the credential's synchronous <c>GetToken</c>, so it needs no thread-pool thread.
    /// </summary>
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken, async: false).GetAwaiter().GetResult(); // completes on this thread

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken, async: true);

    private ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken, bool async)
    {
        if (!string.IsNullOrEmpty(requestContext.Claims))
        {
            return async ? inner.GetTokenAsync(requestContext, cancellationToken) : ValueTask.FromResult(inner.GetToken(requestContext, cancellationToken));
        }

        var key = Key(requestContext, requestContext.TenantId);
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= MaxEntries)
            {
                return async ? inner.GetTokenAsync(requestContext, cancellationToken) : ValueTask.FromResult(inner.GetToken(requestContext, cancellationToken));
            }

            entry = _entries.GetOrAdd(key, static _ => new Entry());
        }

        Acquisition acquisition;
        Acquisition? own = null;
        TaskCompletionSource<AccessToken>? runHere = null;
        lock (entry)
        {
            var current = entry.Current;
            var now = time.GetTimestamp();
            bool fresh;
            if (current is { Token.IsCompleted: true })
            {
                // Completed, so its state no longer changes between the reads below.
                if (current.Token.IsCompletedSuccessfully && !NeedsRenewal(current))
                {
                    return ValueTask.FromResult(current.Token.Result);
                }

                fresh = !(current.Token.IsFaulted && now < entry.FailedUntil); // a recent failure is the answer
            }
            else
            {
                fresh = current is null || time.GetElapsedTime(current.Started, now) >= fetchTimeout;
            }

            if (fresh)
            {
                own = OwnTenantAcquisition(requestContext, now);

                // Not the caller's token: one caller giving up must not fail the others sharing the acquisition.
                Task<AccessToken> token;
                if (async)
                {
                    token = Task.Run(() => AcquireAsync(entry, requestContext, own, async: true), CancellationToken.None);
                }
                else
                {
                    runHere = new TaskCompletionSource<AccessToken>(TaskCreationOptions.RunContinuationsAsynchronously);
                    token = runHere.Task;
                }

                _ = token.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                entry.Current = new Acquisition(token, now, time.GetUtcNow());
            }

            acquisition = entry.Current!;
        }

        if (runHere is not null)
        {
            // On this thread, outside the lock (other callers join it meanwhile); with async false it completes here.
            runHere.SetFromTask(AcquireAsync(entry, requestContext, own, async: false));
        }

        return async ? WaitAsync(acquisition, cancellationToken) : ValueTask.FromResult(Wait(acquisition, cancellationToken));
    }

    private static string Key(TokenRequestContext requestContext, string? tenantId) =>
        $"{string.Join(' ', requestContext.Scopes)}|{tenantId}|{requestContext.IsCaeEnabled}";

    /// <summary>
    /// For a request naming a tenant, the acquisition of the same scopes for the credential's own tenant when it is in
    /// flight or holds a token not due for renewal; otherwise <see langword="null"/>.
    /// </summary>
    private Acquisition? OwnTenantAcquisition(TokenRequestContext requestContext, long now)
    {
        if (string.IsNullOrEmpty(requestContext.TenantId) || !_entries.TryGetValue(Key(requestContext, null), out var own))
        {
            return null;
        }

        var current = own.Current; // an immutable record, replaced whole
        return current switch
        {
            null => null,
            { Token.IsCompleted: false } => time.GetElapsedTime(current.Started, now) < fetchTimeout ? current : null,
            { Token.IsCompletedSuccessfully: true } => NeedsRenewal(current) ? null : current,
            _ => null,
        };
    }

    private AccessToken Wait(Acquisition acquisition, CancellationToken cancellationToken)
    {
        var left = fetchTimeout - time.GetElapsedTime(acquisition.Started);
        try
        {
            if (!acquisition.Token.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken))
            {
                throw TimedOut();
            }
        }
        catch (AggregateException)
        {
            // Rethrown below as the credential's own exception, as the asynchronous path throws it.
        }

        return acquisition.Token.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Asks the credential, recording a failure's back-off before the acquisition completes: a caller that sees it failed
    /// must find the back-off, not start another acquisition.
    /// </summary>
    private async Task<AccessToken> AcquireAsync(Entry entry, TokenRequestContext requestContext, Acquisition? own, bool async)
    {
        try
        {
            AccessToken token;
            if (own is not null
                && (async ? await OwnTokenAsync(own).ConfigureAwait(false) : OwnToken(own)) is { } owned
                && TokenTenant.IsIn(owned.Token, requestContext.TenantId!))
            {
                token = owned;
            }
            else if (async)
            {
                token = await inner.GetTokenAsync(requestContext, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                // Bounded by FetchTimeout, as the asynchronous acquisition's callers are (for a credential that honours its token).
                using var timeout = new CancellationTokenSource(fetchTimeout);
                token = inner.GetToken(requestContext, timeout.Token);
            }

            lock (entry)
            {
                entry.FailuresInARow = 0;
            }

            return token;
        }
        catch (Exception)
        {
            lock (entry)
            {
                entry.FailedUntil = time.AddToTimestamp(time.GetTimestamp(), _timing.FailureDelay(++entry.FailuresInARow));
            }

            throw;
        }
    }

    /// <summary>The token of the credential's own tenant, or <see langword="null"/> when that acquisition fails or outlasts FetchTimeout.</summary>
    private async Task<AccessToken?> OwnTokenAsync(Acquisition own)
    {
        var left = fetchTimeout - time.GetElapsedTime(own.Started);
        try
        {
            return left > TimeSpan.Zero ? await own.Token.WaitAsync(left, time, CancellationToken.None).ConfigureAwait(false) : null;
        }
        catch (Exception)
        {
            return null; // its own callers see its failure; this one asks for the named tenant instead
        }
    }

    /// <summary>
    /// The synchronous form: the own token only when it has already come. Waiting for it here would block this thread
    /// for up to FetchTimeout before its own request to the credential, which has a FetchTimeout of its own.
    /// </summary>
    private static AccessToken? OwnToken(Acquisition own) => own.Token.IsCompletedSuccessfully ? own.Token.Result : null;

    private async ValueTask<AccessToken> WaitAsync(Acquisition acquisition, CancellationToken cancellationToken)
    {
        var left = fetchTimeout - time.GetElapsedTime(acquisition.Started);
        try
        {
            return await acquisition.Token.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!acquisition.Token.IsCompleted)
        {
            throw TimedOut();
        }
    }

    private TimeoutException TimedOut() => new(
        $"The credential ({inner.GetType().Name}) did not return a token within {fetchTimeout} (Odibi:Prefetch:FetchTimeout): " +
        "check that its identity endpoint is reachable; the next request starts a fresh token request.");

    /// <summary>
    /// Whether a token is due for renewal: 5 minutes before it expires, or halfway through its life for a short-lived one
    /// (a 5-second token is renewed after 2.5 s, not on every request).
    /// </summary>
    private bool NeedsRenewal(Acquisition acquisition)
    {
        var expires = acquisition.Token.Result.ExpiresOn;
        var margin = TimeSpan.FromTicks(Math.Min(RefreshMargin.Ticks, Math.Max(0, (expires - acquisition.StartedAt).Ticks / 2)));
        return expires - margin <= time.GetUtcNow();
    }

    private sealed record Acquisition(Task<AccessToken> Token, long Started, DateTimeOffset StartedAt);

    private sealed class Entry
    {
        public Acquisition? Current { get; set; }

        public long FailedUntil { get; set; }

        public int FailuresInARow { get; set; }
    }
}
