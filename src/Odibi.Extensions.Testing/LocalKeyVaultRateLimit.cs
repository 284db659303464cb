using System.Globalization;

namespace Odibi.Extensions.Testing;

/// <summary>
/// A per-vault request limit as Key Vault applies it: at most <see cref="Permits"/> requests in any sliding
/// <see cref="Window"/> (the service allows 4,000 GET per 10 s per vault, see <see cref="KeyVaultService"/>). A request
/// beyond it is answered 429 with the service's body,
/// <c>{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"}}</c>,
/// and, like the service, no <c>Retry-After</c> unless <see cref="SendRetryAfter"/> is set.
/// </summary>
/// <remarks>
/// What counts: every request that carries a bearer token and is admitted, whatever its answer. Requests refused with
/// 429 do not use up the window (so clients that keep retrying are not punished further), and 401 challenges (requests
/// without a token) do not count unless <see cref="CountChallenges"/> is set. Immutable; set a new instance on
/// <see cref="LocalKeyVault.RateLimit"/> or <see cref="LocalVault.RateLimit"/> to change it.
/// </remarks>
public sealed class LocalKeyVaultRateLimit
{
    private static readonly TimeSpan s_second = TimeSpan.FromSeconds(1);

    /// <summary>Creates a limit of <paramref name="permits"/> requests in any sliding <paramref name="window"/>.</summary>
    /// <param name="permits">The requests admitted per window, at least 1.</param>
    /// <param name="window">The length of the sliding window, more than zero.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permits"/> is less than 1, or <paramref name="window"/> is not positive.</exception>
    public LocalKeyVaultRateLimit(int permits, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permits, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        Permits = permits;
        Window = window;
    }

    /// <summary>Gets Key Vault's limit for secret reads: 4,000 requests per 10 seconds per vault, without <c>Retry-After</c>.</summary>
    public static LocalKeyVaultRateLimit KeyVaultService { get; } = new(4000, TimeSpan.FromSeconds(10));

    /// <summary>Gets the number of requests admitted in any sliding <see cref="Window"/>.</summary>
    public int Permits { get; }

    /// <summary>Gets the length of the sliding window.</summary>
    public TimeSpan Window { get; }

    /// <summary>
    /// Gets a value indicating whether a 429 carries <c>Retry-After</c>: the whole seconds (rounded up, at least 1)
    /// until the window admits a request again. The real service sends none.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool SendRetryAfter { get; init; }

    /// <summary>
    /// Gets a value indicating whether requests without a bearer token (answered 401 with a challenge) use up the window
    /// too; when they do, a challenge beyond the limit is answered 429 instead.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>: only requests carrying a token count.</value>
    public bool CountChallenges { get; init; }

    /// <summary>Creates a limit of <paramref name="permits"/> requests in any sliding second.</summary>
    /// <param name="permits">The requests admitted per second, at least 1.</param>
    /// <returns>The limit, without <c>Retry-After</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permits"/> is less than 1.</exception>
    public static LocalKeyVaultRateLimit PerSecond(int permits) => new(permits, s_second);

    /// <summary>Describes the limit, e.g. <c>4000 per 10s</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString()
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{Permits} per {Window.TotalSeconds}s");
        if (SendRetryAfter)
        {
            text += ", Retry-After";
        }

        if (CountChallenges)
        {
            text += ", challenges counted";
        }

        return text;
    }

    /// <summary>Gets the <c>RequestsPerSecond</c> shorthand of a limit: its permits when the window is one second, else <see langword="null"/>.</summary>
    internal static int? ToRequestsPerSecond(LocalKeyVaultRateLimit? limit) => limit is not null && limit.Window == s_second ? limit.Permits : null;

    /// <summary>Turns the <c>RequestsPerSecond</c> shorthand into a limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="requestsPerSecond"/> is less than 1.</exception>
    internal static LocalKeyVaultRateLimit? FromRequestsPerSecond(int? requestsPerSecond)
    {
        if (requestsPerSecond is not int permits)
        {
            return null;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(permits, 1, "value");
        return PerSecond(permits);
    }
}
