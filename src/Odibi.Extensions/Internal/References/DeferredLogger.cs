using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// A logger for configuration providers, which exist before the app's logging does: it logs through the factory it
/// was given, or keeps the most recent <see cref="Capacity"/> entries until one is attached, then writes them in order.
/// </summary>
internal sealed class DeferredLogger
{
    public const int Capacity = 32;

    private readonly Lock _lock = new();
    private readonly Queue<Action<ILogger>> _pending = new();
    private ILogger? _logger;

    public DeferredLogger(ILoggerFactory? factory)
    {
        _logger = factory?.CreateLogger(Category);
    }

    /// <summary>The category the configuration's Key Vault logs are written under.</summary>
    public static string Category => "Odibi.Extensions.KeyVaultConfiguration";

    /// <summary>Gets whether logs go somewhere now.</summary>
    public bool IsAttached => Volatile.Read(ref _logger) is not null;

    /// <summary>Logs through <paramref name="factory"/> from now on, after what was kept, unless a logger is already attached.</summary>
    public void Attach(ILoggerFactory factory)
    {
        Action<ILogger>[] kept;
        ILogger logger;
        lock (_lock)
        {
            if (_logger is not null)
            {
                return;
            }

            logger = factory.CreateLogger(Category);
            kept = [.. _pending];
            _pending.Clear();
            _logger = logger;
        }

        foreach (var write in kept)
        {
            write(logger);
        }
    }

    public void Write(Action<ILogger> write)
    {
        ILogger? logger;
        lock (_lock)
        {
            logger = _logger;
            if (logger is null)
            {
                if (_pending.Count == Capacity)
                {
                    _pending.Dequeue();
                }

                _pending.Enqueue(write);
                return;
            }
        }

        write(logger);
    }
}
