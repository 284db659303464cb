namespace Odibi.Extensions.Internal.Hosting;

/// <summary>The outcome of one check: <see cref="Error"/> is <see langword="null"/> when every step passed.</summary>
internal sealed record CheckOutcome(Exception? Error, TimeSpan Duration, CheckStep Step);
