using Odibi.Extensions.Testing.Internal;

namespace Odibi.Extensions.Testing;

/// <summary>
/// One vault of a <see cref="LocalKeyVault"/>, got with <see cref="LocalKeyVault.Vault(string)"/>: its secrets, faults,
/// per-vault knobs and counters. Thread-safe; everything can change while clients are talking to it.
/// </summary>
public sealed class LocalVault
{
    private readonly SecretStore _store;
    private readonly FaultSchedule _faults = new();
    private readonly RequestRateWindow _rateWindow = new();
    private long _latencyTicks = -1;
    private LocalKeyVaultRateLimit? _rateLimit;
    private int _challengeCount;
    private int _secretRequestCount;

    internal LocalVault(string name, Uri vaultUri, TimeProvider timeProvider, int recoverableDays)
    {
        Name = name;
        VaultUri = vaultUri;
        _store = new SecretStore(timeProvider, recoverableDays);
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

    /// <summary>
    /// Gets or sets how many days a deleted secret stays recoverable before the vault purges it (the service's
    /// soft-delete retention). 90 is reported as <c>recoveryLevel</c> <c>Recoverable+Purgeable</c>, 7 to 89 as
    /// <c>CustomizedRecoverable+Purgeable</c>, each with <c>recoverableDays</c>.
    /// </summary>
    /// <value>Defaults to <see cref="LocalKeyVaultOptions.RecoverableDays"/> (90).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 7 and 90.</exception>
    public int RecoverableDays
    {
        get => _store.RecoverableDays;
        set => _store.RecoverableDays = value;
    }

    /// <summary>Stores a new version of a secret, as <c>SecretClient.SetSecretAsync</c> would.</summary>
    /// <param name="name">The secret name: 1 to 127 letters, digits and dashes.</param>
    /// <param name="value">The secret value.</param>
    /// <param name="enabled">Whether the version is enabled; reading a disabled latest version answers 403.</param>
    /// <param name="notBefore">The optional <c>nbf</c> attribute (reported, not enforced, like the real service).</param>
    /// <param name="expiresOn">The optional <c>exp</c> attribute (reported, not enforced, like the real service).</param>
    /// <param name="contentType">The optional content type.</param>
    /// <param name="tags">The optional tags.</param>
    /// <returns>The new version: 32 lowercase hexadecimal characters.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid secret name.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The secret is deleted: as in Key Vault, recover or purge it first.</exception>
    public string SetSecret(string name, string value, bool enabled = true, DateTimeOffset? notBefore = null, DateTimeOffset? expiresOn = null, string? contentType = null, IReadOnlyDictionary<string, string>? tags = null)
    {
        if (!SecretStore.IsValidSecretName(name))
        {
            throw new ArgumentException("A secret name is 1 to 127 letters, digits and dashes.", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(value);
        return _store.AddVersion(name, value, contentType, enabled, notBefore, expiresOn, tags)?.Version
            ?? throw new InvalidOperationException($"Secret '{name}' of vault '{Name}' is deleted: recover it (RecoverDeletedSecret) or purge it (PurgeDeletedSecret) before setting it again, as Key Vault requires.");
    }

    /// <summary>Gets a stored secret value, bypassing faults, counters and the request log.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <param name="version">The version, or <see langword="null"/> for the latest.</param>
    /// <returns>The value, or <see langword="null"/> if there is no such secret or version, or the secret is deleted.</returns>
    public string? GetSecretValue(string name, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _store.FindSecret(name, version)?.Value;
    }

    /// <summary>Gets the versions of a secret, oldest first.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <returns>The versions; empty if there is no such secret or it is deleted.</returns>
    public IReadOnlyList<string> GetSecretVersions(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _store.GetVersionIds(name);
    }

    /// <summary>Gets the names of the secrets that are not deleted, in the order Key Vault lists them (by name, ignoring case).</summary>
    /// <returns>The names.</returns>
    public IReadOnlyList<string> GetSecretNames()
    {
        return [.. _store.ListSecrets().Select(s => s.Name)];
    }

    /// <summary>Gets the names of the deleted secrets that can still be recovered or purged, by name.</summary>
    /// <returns>The names.</returns>
    public IReadOnlyList<string> GetDeletedSecretNames()
    {
        return [.. _store.ListDeletedSecrets().Select(s => s.Latest.Name)];
    }

    /// <summary>Disables a version of a secret: reading it then answers 403 <c>Forbidden</c> (<c>SecretDisabled</c>). A later <see cref="SetSecret"/> adds an enabled version.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <param name="version">The version, or <see langword="null"/> for the latest.</param>
    /// <exception cref="KeyNotFoundException">There is no such secret or version.</exception>
    public void DisableSecret(string name, string? version = null) => SetEnabled(name, version, enabled: false);

    /// <summary>Enables a version of a secret again.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <param name="version">The version, or <see langword="null"/> for the latest.</param>
    /// <exception cref="KeyNotFoundException">There is no such secret or version.</exception>
    public void EnableSecret(string name, string? version = null) => SetEnabled(name, version, enabled: true);

    /// <summary>
    /// Deletes a secret with all its versions, as <c>SecretClient.StartDeleteSecretAsync</c> does: reading it then answers
    /// 404 <c>SecretNotFound</c>; it stays recoverable for <see cref="RecoverableDays"/> unless purged.
    /// </summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <returns><see langword="true"/> if the secret existed and was not already deleted.</returns>
    public bool DeleteSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _store.Delete(name) is not null;
    }

    /// <summary>Brings a deleted secret back with all its versions, as <c>SecretClient.StartRecoverDeletedSecretAsync</c> does.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <returns><see langword="true"/> if a deleted secret of that name was recovered.</returns>
    public bool RecoverDeletedSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _store.Recover(name) is not null;
    }

    /// <summary>Removes a deleted secret for good, as <c>SecretClient.PurgeDeletedSecretAsync</c> does; its name can then be set again.</summary>
    /// <param name="name">The secret name (case-insensitive).</param>
    /// <returns><see langword="true"/> if a deleted secret of that name was purged.</returns>
    public bool PurgeDeletedSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _store.Purge(name);
    }

    /// <summary>
    /// Queues a fault for requests to one secret (any version, any operation: get, set, update, delete, backup, and the
    /// deleted-secret operations). Queued faults apply in order; see <see cref="LocalKeyVaultFault.Times(int)"/>.
    /// </summary>
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

    /// <summary>Queues a fault for every request to this vault, lists and restores included; a secret's own faults take precedence.</summary>
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

    /// <summary>Gets the vault's secrets, as the secrets API operations read and change them.</summary>
    internal SecretStore Store => _store;

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

    private void SetEnabled(string name, string? version, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_store.UpdateVersion(name, version, (v, now) => v with { Enabled = enabled, Updated = now }) is null)
        {
            throw new KeyNotFoundException(version is null ? $"Vault '{Name}' has no secret '{name}'." : $"Vault '{Name}' has no version '{version}' of secret '{name}'.");
        }
    }
}
