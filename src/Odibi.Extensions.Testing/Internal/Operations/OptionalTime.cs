namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary>A Unix-time attribute of a request: whether it was sent, and its value (<see langword="null"/> for JSON null).</summary>
internal readonly record struct OptionalTime(bool Present, DateTimeOffset? Value);
