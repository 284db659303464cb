using System.Collections.Concurrent;
using Azure.Core;

namespace Odibi.Extensions.Benchmarks.Prototype;

/// <summary>As the library's shared credential: one acquisition per request context, shared by every vault client; tells a watcher in the async flow that a token was requested.</summary>
internal sealed class SingleFlightCredential(TokenCredential inner) : TokenCredential
{
    private static readonly AsyncLocal<TaskCompletionSource?> Watcher = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<AccessToken>>> _tokens = new(StringComparer.Ordinal);

    public static void Watch(TaskCompletionSource signal) => Watcher.Value = signal;

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Watcher.Value?.TrySetResult();
        var key = $"{string.Join(' ', requestContext.Scopes)}|{requestContext.TenantId}|{requestContext.Claims}|{requestContext.IsCaeEnabled}";
        var token = _tokens.GetOrAdd(key, _ => new Lazy<Task<AccessToken>>(() => inner.GetTokenAsync(requestContext, CancellationToken.None).AsTask()));
        return new ValueTask<AccessToken>(token.Value.WaitAsync(cancellationToken));
    }
}
