using System.Globalization;

namespace Odibi.Extensions.Testing;

/// <summary>
/// A misbehaviour injected with <see cref="LocalVault.InjectFault(string, LocalKeyVaultFault)"/>. Immutable: the
/// fluent methods return a changed copy. A fault applies to every matching request until cleared, unless limited
/// with <see cref="Times(int)"/> or <see cref="Once"/>. Faults only apply to requests that carry a bearer token.
/// </summary>
public sealed class LocalKeyVaultFault
{
    private LocalKeyVaultFault(LocalKeyVaultFaultKind kind, int statusCode, TimeSpan? retryAfter, int? count)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
        Count = count;
    }

    /// <summary>Gets what the fault does.</summary>
    public LocalKeyVaultFaultKind Kind { get; }

    /// <summary>Gets the HTTP status code answered, or 0 when no response is sent (<see cref="LocalKeyVaultFaultKind.Hang"/>, <see cref="LocalKeyVaultFaultKind.DropConnection"/>).</summary>
    public int StatusCode { get; }

    /// <summary>Gets the <c>Retry-After</c> sent with the response (whole seconds, rounded up), or <see langword="null"/> for none.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Gets how many requests the fault applies to, or <see langword="null"/> for every request until cleared.</summary>
    public int? Count { get; }

    /// <summary>Creates a fault that answers <paramref name="statusCode"/> with a Key Vault error body (e.g. 401, 403, 404, 429, 500, 503).</summary>
    /// <param name="statusCode">An HTTP error status code, 400 to 599.</param>
    /// <returns>The fault, applying to every request until limited or cleared.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not between 400 and 599.</exception>
    public static LocalKeyVaultFault Status(int statusCode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        return new LocalKeyVaultFault(LocalKeyVaultFaultKind.Status, statusCode, retryAfter: null, count: null);
    }

    /// <summary>Creates a fault that never answers, so the client's own timeout or cancellation must end the request.</summary>
    /// <returns>The fault, applying to every request until limited or cleared.</returns>
    public static LocalKeyVaultFault Hang() => new(LocalKeyVaultFaultKind.Hang, 0, retryAfter: null, count: null);

    /// <summary>Creates a fault that aborts the connection without a response.</summary>
    /// <returns>The fault, applying to every request until limited or cleared.</returns>
    public static LocalKeyVaultFault DropConnection() => new(LocalKeyVaultFaultKind.DropConnection, 0, retryAfter: null, count: null);

    /// <summary>Creates a fault that answers 200 with a body that is not valid JSON.</summary>
    /// <returns>The fault, applying to every request until limited or cleared.</returns>
    public static LocalKeyVaultFault MalformedBody() => new(LocalKeyVaultFaultKind.MalformedBody, 200, retryAfter: null, count: null);

    /// <summary>Creates a fault that answers 403 <c>Forbidden</c>, "Operation get is not allowed on a disabled secret."</summary>
    /// <returns>The fault, applying to every request until limited or cleared.</returns>
    public static LocalKeyVaultFault Disabled() => new(LocalKeyVaultFaultKind.Disabled, 403, retryAfter: null, count: null);

    /// <summary>Limits the fault to the next <paramref name="count"/> matching requests; later faults queued for the same secret apply afterwards.</summary>
    /// <param name="count">The number of requests, at least 1.</param>
    /// <returns>A copy of this fault with the limit.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    public LocalKeyVaultFault Times(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new LocalKeyVaultFault(Kind, StatusCode, RetryAfter, count);
    }

    /// <summary>Limits the fault to the next matching request.</summary>
    /// <returns>A copy of this fault with the limit.</returns>
    public LocalKeyVaultFault Once() => Times(1);

    /// <summary>Makes the fault apply to every matching request until cleared (the default).</summary>
    /// <returns>A copy of this fault without a limit.</returns>
    public LocalKeyVaultFault Always() => new(Kind, StatusCode, RetryAfter, count: null);

    /// <summary>Sends a <c>Retry-After</c> header (whole seconds, rounded up) with the fault's response.</summary>
    /// <param name="retryAfter">The delay to advertise, zero or more.</param>
    /// <returns>A copy of this fault with the header.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="retryAfter"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The fault sends no response (<see cref="LocalKeyVaultFaultKind.Hang"/> or <see cref="LocalKeyVaultFaultKind.DropConnection"/>).</exception>
    public LocalKeyVaultFault WithRetryAfter(TimeSpan retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        if (StatusCode == 0)
        {
            throw new InvalidOperationException($"A {Kind} fault sends no response, so it cannot carry Retry-After.");
        }

        return new LocalKeyVaultFault(Kind, StatusCode, retryAfter, Count);
    }

    /// <summary>Describes the fault, e.g. <c>Status 503 x2 (Retry-After 1s)</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString()
    {
        string text = Kind == LocalKeyVaultFaultKind.Status
            ? string.Create(CultureInfo.InvariantCulture, $"Status {StatusCode}")
            : Kind.ToString();
        if (Count is int count)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" x{count}");
        }

        if (RetryAfter is TimeSpan retryAfter)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" (Retry-After {retryAfter.TotalSeconds}s)");
        }

        return text;
    }
}
