using System.Buffers.Text;
using System.Text.Json;
using Azure.Core;

namespace Odibi.Extensions.Testing;

/// <summary>
/// A fake <see cref="TokenCredential"/> that counts token requests, can be slow or fail, and otherwise returns a
/// token valid for one hour. Its tokens are shaped as Microsoft Entra ID's (an unsigned JWT whose <c>tid</c> claim names
/// the tenant it was asked for, or <see cref="TenantId"/>), so code that reads a token's tenant sees one.
/// Thread-safe; its settings can change while in use.
/// </summary>
public sealed class CountingTokenCredential : TokenCredential
{
    private static readonly string UnsignedHeader = Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8);

    private readonly Lock _lock = new();
    private readonly List<TokenRequestContext> _requests = [];
    private int _count;
    private long _tokenLatencyTicks;
    private long _tokenLifetimeTicks = TimeSpan.FromHours(1).Ticks;
    private Exception? _failure;
    private volatile string _tenantId = LocalKeyVaultOptions.DefaultTenantId;

    /// <summary>Gets the access token handed out for a request that names no tenant (the credential's own, <see cref="TenantId"/>).</summary>
    public string Token => TokenFor(TenantId);

    /// <summary>
    /// Gets or sets the credential's own tenant: a token asked for with no tenant is issued in it. Defaults to
    /// <see cref="LocalKeyVaultOptions.DefaultTenantId"/>, the tenant a <see cref="LocalKeyVault"/>'s challenge names by default.
    /// </summary>
    /// <exception cref="ArgumentException">The value is empty.</exception>
    public string TenantId
    {
        get => _tenantId;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _tenantId = value;
        }
    }

    /// <summary>The token this credential hands out for <paramref name="tenantId"/>: an unsigned JWT whose <c>tid</c> claim is that tenant.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <returns>The token.</returns>
    /// <exception cref="ArgumentException"><paramref name="tenantId"/> is empty.</exception>
    public static string TokenFor(string tenantId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        using var payload = new MemoryStream();
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("tid", tenantId);
            writer.WriteEndObject();
        }

        return UnsignedHeader + "." + Base64Url.EncodeToString(payload.ToArray()) + ".";
    }

    /// <summary>Gets how many times <see cref="GetToken"/> or <see cref="GetTokenAsync"/> was called (including calls that failed or were canceled).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets a snapshot of the contexts (scopes, tenant id) of every token request, oldest first.</summary>
    public IReadOnlyList<TokenRequestContext> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets or sets how long each token is valid from when it is issued (short-lived tokens test renewal). Defaults to one hour.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan TokenLifetime
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _tokenLifetimeTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _tokenLifetimeTicks, value.Ticks);
        }
    }

    /// <summary>Gets or sets how long each token request takes, modelling slow credential discovery. Defaults to zero; honours cancellation.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan TokenLatency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _tokenLatencyTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _tokenLatencyTicks, value.Ticks);
        }
    }

    /// <summary>
    /// Makes every later token request throw <paramref name="exception"/> (after <see cref="TokenLatency"/>), e.g. an
    /// <c>Azure.Identity.AuthenticationFailedException</c>; <see langword="null"/> hands out tokens again.
    /// </summary>
    /// <param name="exception">The exception to throw, or <see langword="null"/>.</param>
    public void FailWith(Exception? exception)
    {
        Volatile.Write(ref _failure, exception);
    }

    /// <summary>Sets <see cref="Count"/> to zero and clears <see cref="Requests"/>.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _requests.Clear();
            Volatile.Write(ref _count, 0);
        }
    }

    /// <inheritdoc/>
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Record(requestContext);
        TimeSpan latency = TokenLatency;
        if (latency > TimeSpan.Zero)
        {
            cancellationToken.WaitHandle.WaitOne(latency);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Issue(requestContext);
    }

    /// <inheritdoc/>
    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Record(requestContext);
        TimeSpan latency = TokenLatency;
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Issue(requestContext);
    }

    private void Record(TokenRequestContext requestContext)
    {
        lock (_lock)
        {
            _requests.Add(requestContext);
            _count++;
        }
    }

    private AccessToken Issue(TokenRequestContext requestContext)
    {
        Exception? failure = Volatile.Read(ref _failure);
        if (failure is not null)
        {
            throw failure;
        }

        return new AccessToken(TokenFor(string.IsNullOrEmpty(requestContext.TenantId) ? TenantId : requestContext.TenantId), DateTimeOffset.UtcNow + TokenLifetime);
    }
}
