namespace Odibi.Extensions.Internal.Storage;

/// <summary>The outcome of checking one connection's container. Holds no secret.</summary>
/// <param name="Connection">The connection checked.</param>
/// <param name="Error">Why the check failed (its message names the connection, account, container, cause and fix), or <see langword="null"/>.</param>
/// <param name="Duration">How long the check took, waiting for a free slot included.</param>
internal sealed record StorageCheckResult(AdlsConnection Connection, Exception? Error, TimeSpan Duration)
{
    public bool Success => Error is null;
}
