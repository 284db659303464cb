using System.Collections.Concurrent;
using Azure.Core;

namespace Odibi.Extensions.Tests.Infrastructure;

/// <summary>
/// A credential whose tokens say which tenant and claims they were asked for ("token:home", "token:tenant-b",
/// "token:tenant-b+claims"), recording every context it is asked for, so that a <see cref="Testing.LocalKeyVault"/>
/// can refuse a token from the wrong tenant.
/// </summary>
internal sealed class TenantTokenCredential : TokenCredential
{
    private readonly ConcurrentQueue<TokenRequestContext> _requests = new();

    public IReadOnlyList<TokenRequestContext> Requests => [.. _requests];

    public static string TokenFor(string? tenantId, bool claims = false) => $"token:{tenantId ?? "home"}{(claims ? "+claims" : "")}";

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        _requests.Enqueue(requestContext);
        return new AccessToken(TokenFor(requestContext.TenantId, !string.IsNullOrEmpty(requestContext.Claims)), DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
