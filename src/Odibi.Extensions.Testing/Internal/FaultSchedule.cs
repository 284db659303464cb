namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// The faults injected into one vault: a queue per secret name plus a vault-wide queue. A fault with a count is used
/// that many times, then the next queued fault applies; a fault without a count applies until cleared. Thread-safe.
/// </summary>
internal sealed class FaultSchedule
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<Slot>> _bySecret = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<Slot> _vaultWide = new();

    public void Add(string? secretName, LocalKeyVaultFault fault)
    {
        lock (_lock)
        {
            Queue<Slot> queue;
            if (secretName is null)
            {
                queue = _vaultWide;
            }
            else if (!_bySecret.TryGetValue(secretName, out queue!))
            {
                queue = new Queue<Slot>();
                _bySecret.Add(secretName, queue);
            }

            queue.Enqueue(new Slot(fault));
        }
    }

    /// <summary>Takes the fault for the next request to <paramref name="secretName"/>, if any.</summary>
    public LocalKeyVaultFault? Take(string? secretName)
    {
        lock (_lock)
        {
            if (secretName is not null && _bySecret.TryGetValue(secretName, out Queue<Slot>? queue))
            {
                LocalKeyVaultFault? fault = TakeFrom(queue);
                if (queue.Count == 0)
                {
                    _bySecret.Remove(secretName);
                }

                if (fault is not null)
                {
                    return fault;
                }
            }

            return TakeFrom(_vaultWide);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _bySecret.Clear();
            _vaultWide.Clear();
        }
    }

    private static LocalKeyVaultFault? TakeFrom(Queue<Slot> queue)
    {
        if (!queue.TryPeek(out Slot? slot))
        {
            return null;
        }

        if (slot.Remaining is int remaining)
        {
            slot.Remaining = remaining - 1;
            if (slot.Remaining == 0)
            {
                queue.Dequeue();
            }
        }

        return slot.Fault;
    }

    private sealed class Slot(LocalKeyVaultFault fault)
    {
        public LocalKeyVaultFault Fault { get; } = fault;

        public int? Remaining { get; set; } = fault.Count;
    }
}
