using Odibi.Extensions.Testing.Internal;

namespace Odibi.Extensions.Testing;

/// <summary>
/// One vault of a <see cref="LocalKeyVault"/>, got with <see cref="LocalKeyVault.Vault(string)"/>: its secrets, faults,
/// per-vault knobs and counters. Thread-safe; everything can change while clients are talking to it.
/// </summary>
public sealed class LocalVault
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredSecret> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _timeProvider;
    private readonly FaultSchedule _faults = new();
    private readonly RequestRateWindow _rateWindow = new();
    private long _latencyTicks = -1;
    private LocalKeyVaultRateLimit? _rateLimit;
    private int _challengeCount;
    private int _secretRequestCount;

    internal LocalVault(string name, Uri vaultUri, TimeProvider timeProvider)
    {
        Name = name;
        VaultUri = vaultUri;
        _timeProvider = timeProvider;
    }

    /// <summary>Gets the vault name, e.g. <c>my-production-kv</c>.</summary>
    public string Name { get; }

    /// <summary>Gets the vault URI a client uses for it, <c>https://{name}.vault.azure.net/</c>.</summary>
    public Uri VaultUri { get; }

    /// <summary>Gets or sets the delay before this vault answers, replacing <see cref="LocalKeyVault.Latency"/> (jitter still added); <see langword="null"/> (the default) uses the server's.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan? Latency
    {
        get
        {
            long ticks = Interlocked.Read(ref _latencyTicks);
            return ticks < 0 ? null : TimeSpan.FromTicks(ticks);
        }

        set
        {
            if (value is TimeSpan latency)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
            }

            Interlocked.Exchange(ref _latencyTicks, value?.Ticks ?? -1);
        }
    }

    /// <summary>Gets or sets this vault's request limit, replacing <see cref="LocalKeyVault.RateLimit"/>; <see langword="null"/> (the default) uses the server's.</summary>
    public LocalKeyVaultRateLimit? RateLimit
    {
        get => Volatile.Read(ref _rateLimit);
        set => Volatile.Write(ref _rateLimit, value);
    }

    /// <summary>
    /// Gets or sets <see cref="RateLimit"/> as requests per sliding second (without <c>Retry-After</c>): setting <c>n</c>
    /// sets <c>LocalKeyVaultRateLimit.PerSecond(n)</c>, <see langword="null"/> uses the server's limit. Gets
    /// <see langword="null"/> when this vault has no limit of its own or its window is not one second.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? RequestsPerSecond
    {
        get => LocalKeyVaultRateLimit.ToRequestsPerSecond(RateLimit);
        set => RateLimit = LocalKeyVaultRateLimit.FromRequestsPerSecond(value);
    }

    /// <summary>Gets how many requests to this vault were answered 401 with a challenge because they carried no bearer token.</summary>
    public int ChallengeCount => Volatile.Read(ref _challengeCount);

    /// <summary>Gets how many requests to this vault carried a bearer token (whatever the answer).</summary>
    public int SecretRequestCount => Volatile.Read(ref _secretRequestCount);

    /// <summary>Stores a new version of a secret, as <c>SecretClient.SetSecretAsync</c> would.</summary>
    /// <param name="name">The secret name: 1 to 127 letters, digits and dashes.</param>
    /// <param name="value">The secret value.</param>
    /// <param name="enabled">Whether the version is enabled; reading a disabled latest version answers 403.</param>
    /// <param name="notBefore">The optional <c>nbf</c> attribute (reported, not enforced, like the real service).</param>
    /// <param name="expiresOn">The optional <c>exp</c> attribute (reported, not enforced, like the real service).</param>
    /// <param name="contentType">The optional content type.</param>
    /// <returns>The new version: 32 lowercase hexadecimal characters.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid secret name.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    public string SetSecret(string name, string value, bool enabled = true, DateTimeOffset? notBefore = null, DateTimeOffset? expiresOn = null, string? contentType = null)
    {
        if (!IsValidSecretName(name))
        {
            throw new ArgumentException("A secret name is 1 to 127 letters, digits and dashes.", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(value);
        return AddVersion(name, value, contentType, enabled, notBefore, expiresOn, tags: null).Version;
    }

    /// <summary>Gets a stored secret value, bypassing faults, counters and the request log.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <param name="version">The version, or <see langword="null"/> for the latest.</param>
    /// <returns>The value, or <see langword="null"/> if there is no such secret or version.</returns>
    public string? GetSecretValue(string name, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (!_secrets.TryGetValue(name, out StoredSecret? secret))
            {
                return null;
            }

            return version is null ? secret.Latest.Value : secret.Find(version)?.Value;
        }
    }

    /// <summary>Gets the versions of a secret, oldest first.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <returns>The versions; empty if there is no such secret.</returns>
    public IReadOnlyList<string> GetSecretVersions(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            return _secrets.TryGetValue(name, out StoredSecret? secret)
                ? secret.Versions.ConvertAll(v => v.Version)
                : [];
        }
    }

    /// <summary>Disables the latest version of a secret: reading it then answers 403 <c>Forbidden</c>. A later <see cref="SetSecret"/> adds an enabled version.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <exception cref="KeyNotFoundException">There is no such secret.</exception>
    public void DisableSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (!_secrets.TryGetValue(name, out StoredSecret? secret))
            {
                throw new KeyNotFoundException($"Vault '{Name}' has no secret '{name}'.");
            }

            SecretVersion latest = secret.Latest;
            secret.Versions[^1] = latest with { Enabled = false, Updated = _timeProvider.GetUtcNow() };
        }
    }

    /// <summary>Deletes a secret with all its versions; reading it then answers 404 <c>SecretNotFound</c>.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <returns><see langword="true"/> if the secret existed.</returns>
    public bool DeleteSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            return _secrets.Remove(name);
        }
    }

    /// <summary>Queues a fault for requests to one secret (any version). Queued faults apply in order; see <see cref="LocalKeyVaultFault.Times(int)"/>.</summary>
    /// <param name="secretName">The secret name (case-insensitive); the secret need not exist.</param>
    /// <param name="fault">The fault.</param>
    /// <returns>This vault.</returns>
    public LocalVault InjectFault(string secretName, LocalKeyVaultFault fault)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretName);
        ArgumentNullException.ThrowIfNull(fault);
        _faults.Add(secretName, fault);
        return this;
    }

    /// <summary>Queues a fault for requests to any secret of this vault; a secret's own faults take precedence.</summary>
    /// <param name="fault">The fault.</param>
    /// <returns>This vault.</returns>
    public LocalVault InjectFault(LocalKeyVaultFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        _faults.Add(secretName: null, fault);
        return this;
    }

    /// <summary>Removes every fault queued for this vault.</summary>
    public void ClearFaults()
    {
        _faults.Clear();
    }

    /// <summary>Describes the vault.</summary>
    /// <returns>The vault name.</returns>
    public override string ToString() => Name;

    internal static bool IsValidSecretName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 127)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    internal SecretVersion AddVersion(string name, string value, string? contentType, bool enabled, DateTimeOffset? notBefore, DateTimeOffset? expiresOn, IReadOnlyDictionary<string, string>? tags)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_secrets.TryGetValue(name, out StoredSecret? secret))
            {
                secret = new StoredSecret(name);
                _secrets.Add(name, secret);
            }

            var version = new SecretVersion(
                secret.Name,
                Guid.NewGuid().ToString("N"),
                value,
                contentType,
                enabled,
                notBefore,
                expiresOn,
                now,
                now,
                tags ?? new Dictionary<string, string>());
            secret.Versions.Add(version);
            return version;
        }
    }

    internal SecretVersion? FindSecret(string name, string? version)
    {
        lock (_lock)
        {
            if (!_secrets.TryGetValue(name, out StoredSecret? secret))
            {
                return null;
            }

            return version is null ? secret.Latest : secret.Find(version);
        }
    }

    internal LocalKeyVaultFault? TakeFault(string? secretName) => _faults.Take(secretName);

    internal bool TryAcquire(DateTimeOffset now, LocalKeyVaultRateLimit limit, out TimeSpan retryAfter) => _rateWindow.TryAcquire(now, limit, out retryAfter);

    internal void CountChallenge() => Interlocked.Increment(ref _challengeCount);

    internal void CountSecretRequest() => Interlocked.Increment(ref _secretRequestCount);

    internal void ResetCounters()
    {
        Interlocked.Exchange(ref _challengeCount, 0);
        Interlocked.Exchange(ref _secretRequestCount, 0);
        _rateWindow.Clear();
    }
}
