namespace Odibi.Extensions;

/// <summary>Settings of the startup prefetch (<c>Odibi:Prefetch</c>).</summary>
public sealed class PrefetchOptions
{
    /// <summary>Gets or sets what startup does when secrets cannot be fetched.</summary>
    /// <value>The default is <see cref="PrefetchPolicy.FailFast"/>.</value>
    public PrefetchPolicy Policy { get; set; } = PrefetchPolicy.FailFast;

    /// <summary>
    /// Gets or sets the most requests in flight at once to one vault. Each vault starts at 256 (or this value when lower)
    /// and doubles per round trip while its answers stay fast and unthrottled, up to this value; a 429 (throttled) lowers
    /// the limit, and fast answers raise it again.
    /// </summary>
    /// <value>The default is 1,024.</value>
    public int MaxConcurrency { get; set; } = 1024;

    /// <summary>Gets or sets the wall-clock bound of one secret fetch, the SDK's retries included.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the wall-clock bound of the whole prefetch.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets a value indicating whether the prefetch also checks, after the secrets, that each connection opens its
    /// container (one Get Container Properties call each, in parallel, at most 64 at once (<see cref="MaxConcurrency"/> when lower), each
    /// within <see cref="FetchTimeout"/>). A wrong key, a missing container or an unreachable endpoint then fails the
    /// connection under <see cref="Policy"/>, with a message naming the connection, account, container, cause and fix.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool VerifyStorage { get; set; }
}
