using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Testing;

/// <summary>Settings read once by <see cref="LocalKeyVault.StartAsync(LocalKeyVaultOptions?, CancellationToken)"/>.</summary>
public sealed class LocalKeyVaultOptions
{
    /// <summary>The tenant named in the bearer challenge unless <see cref="TenantId"/> is set.</summary>
    public const string DefaultTenantId = "10ca1ca1-7e57-4000-8000-000000000001";

    /// <summary>Gets or sets the tenant id in the challenge's <c>authorization="https://login.windows.net/{tenant}"</c>, as the service writes it. Defaults to <see cref="DefaultTenantId"/>.</summary>
    public string TenantId { get; set; } = DefaultTenantId;

    /// <summary>Gets or sets the initial <see cref="LocalKeyVault.Latency"/>. Defaults to zero.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Gets or sets the initial <see cref="LocalKeyVault.Jitter"/>. Defaults to zero.</summary>
    public TimeSpan Jitter { get; set; }

    /// <summary>Gets or sets the initial <see cref="LocalKeyVault.RateLimit"/>. Defaults to <see langword="null"/> (no limit).</summary>
    public LocalKeyVaultRateLimit? RateLimit { get; set; }

    /// <summary>
    /// Gets or sets <see cref="RateLimit"/> as requests per sliding second (without <c>Retry-After</c>). Gets
    /// <see langword="null"/> when there is no limit or its window is not one second.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? RequestsPerSecond
    {
        get => LocalKeyVaultRateLimit.ToRequestsPerSecond(RateLimit);
        set => RateLimit = LocalKeyVaultRateLimit.FromRequestsPerSecond(value);
    }

    /// <summary>
    /// Gets or sets each new vault's <see cref="LocalVault.RecoverableDays"/>: how long deleted secrets stay recoverable,
    /// 7 to 90. 90 is reported as <c>Recoverable+Purgeable</c>, less as <c>CustomizedRecoverable+Purgeable</c>.
    /// </summary>
    /// <value>Defaults to 90.</value>
    public int RecoverableDays { get; set; } = 90;

    /// <summary>Gets or sets the initial <see cref="LocalKeyVault.ValidateToken"/>. Defaults to <see langword="null"/> (any bearer token is accepted).</summary>
    public Func<string, bool>? ValidateToken { get; set; }

    /// <summary>
    /// Gets or sets the clock for secret timestamps, the request log and the rate-limit window (latency always uses real time).
    /// Defaults to <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets how many requests <see cref="LocalKeyVault.Requests"/> keeps: beyond it the oldest are dropped, so a
    /// long run (a soak, a fleet) holds a bounded log. The counters (<see cref="LocalKeyVault.SecretRequestCount"/>,
    /// <see cref="LocalKeyVault.ChallengeCount"/>) count every request.
    /// </summary>
    /// <value>Defaults to 100,000.</value>
    public int RequestLogCapacity { get; set; } = 100_000;

    /// <summary>Gets or sets where the server logs (never secret values). Defaults to <see langword="null"/>: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
