namespace Odibi.Extensions.Internal;

/// <summary>Arithmetic on the timestamps of a <see cref="TimeProvider"/> (<see cref="TimeProvider.GetTimestamp"/> units).</summary>
internal static class TimestampExtensions
{
    /// <summary>Gets the timestamp <paramref name="span"/> after <paramref name="timestamp"/>.</summary>
    public static long AddToTimestamp(this TimeProvider time, long timestamp, TimeSpan span) =>
        timestamp + (long)(span.TotalSeconds * time.TimestampFrequency);
}
