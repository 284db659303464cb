namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// The back-off delays of Key Vault reads, all jittered so that hosts and secrets refused together do not come back
/// together. The defaults are the library's; tests register shorter ones.
/// </summary>
internal sealed class RetryTiming
{
    /// <summary>Gets the defaults.</summary>
    public static RetryTiming Default { get; } = new();

    /// <summary>
    /// Gets the first hold of a vault that answered 429, before its probe (125–250 ms with the jitter); it doubles per 429
    /// up to <see cref="ThrottleCap"/>. A vault's limit is a sliding window (Key Vault's is 10 s): a 429 says the window is
    /// full, and a probe sooner than this mostly meets it full again.
    /// </summary>
    public TimeSpan ThrottleBase { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Gets the longest hold of a throttled vault before its next probe (1–2 s with the jitter). Longer holds spare a
    /// window that stays shut for seconds a few probes, but outlast a short one: a fleet sharing a vault that admits 60
    /// per sliding second sat idle between its hosts' 2–4 s holds (1.7–1.9 × the bound), and takes 1.2–1.3 × with these.
    /// </summary>
    public TimeSpan ThrottleCap { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets how long a throttled vault's probe may stay unanswered before the next waiting read probes too: a probe on a
    /// hung connection must not hold every read of the vault until its deadline.
    /// </summary>
    public TimeSpan ProbePatience { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets the first back-off after a transient failure other than 429 (408, 5xx, a dropped connection).</summary>
    public TimeSpan TransientBase { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets the longest back-off after a transient failure.</summary>
    public TimeSpan TransientCap { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Gets how long a failed read is handed to new callers before one of them reads again; it doubles per failure.</summary>
    public TimeSpan FailureBase { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the longest time a failed read is handed to new callers.</summary>
    public TimeSpan FailureCap { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the source of jitter (<see cref="Random.Shared"/>; a seeded one in single-threaded tests).</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>
    /// The hold before a throttled vault's next probe: "equal jitter" on a doubling delay (half fixed, half random, so a
    /// probe never comes back at once), or the vault's Retry-After plus up to half that delay when it sent one.
    /// </summary>
    public TimeSpan ThrottleDelay(int throttledInARow, TimeSpan? retryAfter)
    {
        var delay = Doubling(ThrottleBase, ThrottleCap, throttledInARow);
        var jitter = delay / 2 * Random.NextDouble();
        return retryAfter is { } wait ? wait + jitter : (delay / 2) + jitter;
    }

    /// <summary>The back-off before retrying a transient failure: "full jitter", uniform in [0, the doubling delay].</summary>
    public TimeSpan TransientDelay(int attempt) => Doubling(TransientBase, TransientCap, attempt) * Random.NextDouble();

    /// <summary>How long a read's failure is shared after <paramref name="failuresInARow"/> failures (not jittered: it only spares the vault).</summary>
    public TimeSpan FailureDelay(int failuresInARow) => Doubling(FailureBase, FailureCap, failuresInARow);

    /// <summary><paramref name="first"/> doubled per <paramref name="count"/> after the first, capped at <paramref name="cap"/>.</summary>
    internal static TimeSpan Doubling(TimeSpan first, TimeSpan cap, int count) =>
        count >= 31 ? cap : TimeSpan.FromTicks(Math.Min(cap.Ticks, first.Ticks * (1L << Math.Max(0, count - 1))));
}
