namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// The back-off of a consumer whose secret value was refused (storage refused a key or SAS, the identity platform a
/// client secret) while the vault still holds that value: the vault is asked again after 1 minute, doubling to 15, not
/// on every refused request. A different value ends the episode at once.
/// </summary>
internal sealed class RefusedSecret(TimeProvider time)
{
    /// <summary>The first wait after a refused value the vault still holds.</summary>
    internal static readonly TimeSpan InitialBackOff = TimeSpan.FromMinutes(1);

    /// <summary>The longest wait between two reads of a value that keeps being refused.</summary>
    internal static readonly TimeSpan MaxBackOff = TimeSpan.FromMinutes(15);

    private readonly Lock _lock = new();
    private string? _refused;
    private long _renewAfter;
    private TimeSpan _backOff;

    /// <summary>Gets whether <paramref name="value"/> was refused, the vault still held it, and the back-off is not over.</summary>
    public bool IsBackingOff(string value)
    {
        lock (_lock)
        {
            return _refused == value && time.GetTimestamp() < _renewAfter;
        }
    }

    /// <summary>Starts or extends the back-off for <paramref name="refused"/>.</summary>
    /// <returns><see langword="true"/> when this starts a new episode (worth one log line).</returns>
    public bool BackOff(string refused)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (_refused == refused && now < _renewAfter)
            {
                return false; // requests refused together: another one already backed off
            }

            var episode = _refused != refused;
            _backOff = episode ? InitialBackOff : TimeSpan.FromTicks(Math.Min(_backOff.Ticks * 2, MaxBackOff.Ticks));
            _refused = refused;
            _renewAfter = time.AddToTimestamp(now, _backOff);
            return episode;
        }
    }

    /// <summary>
    /// Reads the secret again because <paramref name="refused"/> was refused, unless backing off from it (joining a read
    /// under way; the cached value stays if the read fails).
    /// </summary>
    /// <param name="cache">The cache to read through.</param>
    /// <param name="key">The secret.</param>
    /// <param name="refused">The value that was refused.</param>
    /// <param name="async">Whether to read asynchronously; a synchronous read runs on this thread.</param>
    /// <param name="newEpisode">Called once per episode, to log it: with the read's error, or <see langword="null"/> when the vault still holds the refused value.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new value with its version, or <see langword="null"/> when there is none to try (the back-off then starts or grows).</returns>
    public async ValueTask<SecretValue?> ReadAgainAsync(
        SecretCache cache, SecretKey key, string refused, bool async, Action<Exception?> newEpisode, CancellationToken cancellationToken)
    {
        if (IsBackingOff(refused))
        {
            return null;
        }

        string value;
        try
        {
            value = async
                ? await cache.RefreshIfStaleAsync(key, refused, cancellationToken).ConfigureAwait(false)
                : cache.RefreshIfStale(key, refused, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (BackOff(refused))
            {
                newEpisode(exception);
            }

            return null;
        }

        if (value == refused)
        {
            if (BackOff(refused))
            {
                newEpisode(null);
            }

            return null;
        }

        return cache.Versioned(key, value);
    }

    /// <summary>A value is in use: if it is not the refused one, the episode is over.</summary>
    public void InUse(string value)
    {
        lock (_lock)
        {
            if (_refused is not null && _refused != value)
            {
                _refused = null;
            }
        }
    }
}
