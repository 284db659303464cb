namespace Odibi.Extensions;

/// <summary>The state of a connection's secret or token.</summary>
public enum ConnectionStatus
{
    /// <summary>Not fetched yet.</summary>
    Pending,

    /// <summary>Fetched (or not needed) and usable.</summary>
    Ready,

    /// <summary>A refresh is failing; the last good value is still served.</summary>
    Degraded,

    /// <summary>The last fetch failed and no value is available.</summary>
    Failed,
}
