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
