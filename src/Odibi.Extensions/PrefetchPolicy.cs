namespace Odibi.Extensions;

/// <summary>What startup does when secrets cannot be fetched.</summary>
public enum PrefetchPolicy
{
    /// <summary>Startup waits for the prefetch; a failed connection that is not <c>Optional</c> stops the host.</summary>
    FailFast,

    /// <summary>Startup waits for the prefetch; failed connections are logged and marked failed, and the host starts.</summary>
    Degrade,

    /// <summary>Startup does not wait; the prefetch runs in the background and the health check reports it.</summary>
    Background,
}
