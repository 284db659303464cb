using Azure.Core;

namespace Odibi.Extensions.Testing;

/// <summary>
/// A fake <see cref="TokenCredential"/> that counts token requests, can be slow or fail, and otherwise returns a
/// token valid for one hour. Thread-safe; its settings can change while in use.
/// </summary>
public sealed class CountingTokenCredential : TokenCredential
{

    private readonly Lock _lock = new();
    private readonly List<TokenRequestContext> _requests = [];
    private int _count;
    private long _tokenLatencyTicks;
    private long _tokenLifetimeTicks = TimeSpan.FromHours(1).Ticks;
    private Exception? _failure;

    /// <summary>Gets the access token string handed out.</summary>
    public string Token { get; } = "local-key-vault-token";

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
        return Issue();
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
        return Issue();
    }

    private void Record(TokenRequestContext requestContext)
    {
        lock (_lock)
        {
            _requests.Add(requestContext);
            _count++;
        }
    }

    private AccessToken Issue()
    {
        Exception? failure = Volatile.Read(ref _failure);
        if (failure is not null)
        {
            throw failure;
        }

        return new AccessToken(Token, DateTimeOffset.UtcNow + TokenLifetime);
    }
}
