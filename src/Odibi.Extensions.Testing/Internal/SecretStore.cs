namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// The secrets of one vault: every version of every secret, soft-deleted secrets until they are recovered or purged
/// (or their recoverable days pass), backups and restores. Thread-safe.
/// </summary>
internal sealed class SecretStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredSecret> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _timeProvider;
    private int _recoverableDays;

    public SecretStore(TimeProvider timeProvider, int recoverableDays)
    {
        _timeProvider = timeProvider;
        _recoverableDays = recoverableDays;
    }

    /// <summary>Gets or sets how many days a deleted secret stays recoverable.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 7 and 90.</exception>
    public int RecoverableDays
    {
        get => Volatile.Read(ref _recoverableDays);
        set => Volatile.Write(ref _recoverableDays, ValidateRecoverableDays(value));
    }

    public RecoverySettings Recovery => new(RecoverableDays);

    public static bool IsValidSecretName(string? name)
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

    public static int ValidateRecoverableDays(int value)
    {
        return value is >= 7 and <= 90
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "RecoverableDays is Key Vault's soft-delete retention: use 7 to 90 days.");
    }

    /// <summary>Adds a version; <see langword="null"/> when the name belongs to a deleted secret (the service answers 409).</summary>
    public SecretVersion? AddVersion(string name, string value, string? contentType, bool enabled, DateTimeOffset? notBefore, DateTimeOffset? expiresOn, IReadOnlyDictionary<string, string>? tags)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            PurgeExpired(now);
            if (!_secrets.TryGetValue(name, out StoredSecret? secret))
            {
                secret = new StoredSecret(name);
                _secrets.Add(name, secret);
            }
            else if (secret.Deletion is not null)
            {
                return null;
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
                tags is null ? new Dictionary<string, string>() : new Dictionary<string, string>(tags, StringComparer.Ordinal));
            secret.Versions.Add(version);
            return version;
        }
    }

    public SecretVersion? FindSecret(string name, string? version)
    {
        lock (_lock)
        {
            StoredSecret? secret = FindActive(name);
            return secret is null ? null : version is null ? secret.Latest : secret.Find(version);
        }
    }

    /// <summary>Gets the version ids of an active secret, oldest first; empty if there is no such secret or it is deleted.</summary>
    public IReadOnlyList<string> GetVersionIds(string name)
    {
        lock (_lock)
        {
            return FindActive(name) is { } secret ? secret.Versions.ConvertAll(v => v.Version) : [];
        }
    }

    /// <summary>Replaces a version (the latest when <paramref name="version"/> is <see langword="null"/>) with <paramref name="change"/>'s result; <see langword="null"/> if there is none.</summary>
    public SecretVersion? UpdateVersion(string name, string? version, Func<SecretVersion, DateTimeOffset, SecretVersion> change)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (FindActive(name) is not { } secret)
            {
                return null;
            }

            int index = version is null ? secret.Versions.Count - 1 : secret.IndexOf(version);
            if (index < 0)
            {
                return null;
            }

            SecretVersion changed = change(secret.Versions[index], now);
            secret.Versions[index] = changed;
            return changed;
        }
    }

    public DeletedSecretSnapshot? Delete(string name)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (FindActive(name) is not { } secret)
            {
                return null;
            }

            now = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
            secret.Deletion = new SecretDeletion(now, now.AddDays(RecoverableDays));
            return new DeletedSecretSnapshot(secret.Latest, secret.Deletion);
        }
    }

    public DeletedSecretSnapshot? FindDeleted(string name)
    {
        lock (_lock)
        {
            PurgeExpired(_timeProvider.GetUtcNow());
            return _secrets.TryGetValue(name, out StoredSecret? secret) && secret.Deletion is { } deletion
                ? new DeletedSecretSnapshot(secret.Latest, deletion)
                : null;
        }
    }

    public SecretVersion? Recover(string name)
    {
        lock (_lock)
        {
            PurgeExpired(_timeProvider.GetUtcNow());
            if (!_secrets.TryGetValue(name, out StoredSecret? secret) || secret.Deletion is null)
            {
                return null;
            }

            secret.Deletion = null;
            return secret.Latest;
        }
    }

    public bool Purge(string name)
    {
        lock (_lock)
        {
            PurgeExpired(_timeProvider.GetUtcNow());
            return _secrets.TryGetValue(name, out StoredSecret? secret) && secret.Deletion is not null && _secrets.Remove(name);
        }
    }

    /// <summary>Gets the latest version of every active secret, ordered as the service lists them: by name, ignoring case.</summary>
    public List<SecretVersion> ListSecrets()
    {
        return [.. ListSecretIndex().Where(entry => !entry.Deleted).Select(entry => entry.Latest)];
    }

    /// <summary>
    /// Gets every name the vault holds, deleted ones included, ordered by name ignoring case: the index the service
    /// pages over, skipping the deleted entries inside each page (so its pages can be short or empty).
    /// </summary>
    public List<(SecretVersion Latest, bool Deleted)> ListSecretIndex()
    {
        lock (_lock)
        {
            PurgeExpired(_timeProvider.GetUtcNow());
            return [.. _secrets.Values.OrderBy(s => s.Name.ToUpperInvariant(), StringComparer.Ordinal).Select(s => (s.Latest, s.Deletion is not null))];
        }
    }

    /// <summary>Gets the versions of an active secret ordered as the service lists them: by version id.</summary>
    public List<SecretVersion> ListVersions(string name)
    {
        lock (_lock)
        {
            return FindActive(name) is { } secret ? [.. secret.Versions.OrderBy(v => v.Version, StringComparer.OrdinalIgnoreCase)] : [];
        }
    }

    public List<DeletedSecretSnapshot> ListDeletedSecrets()
    {
        lock (_lock)
        {
            PurgeExpired(_timeProvider.GetUtcNow());
            return [.. _secrets.Values
                .Where(s => s.Deletion is not null)
                .OrderBy(s => s.Name.ToUpperInvariant(), StringComparer.Ordinal)
                .Select(s => new DeletedSecretSnapshot(s.Latest, s.Deletion!))];
        }
    }

    /// <summary>Gets every version of an active secret, oldest first, for a backup.</summary>
    public List<SecretVersion>? Backup(string name)
    {
        lock (_lock)
        {
            return FindActive(name) is { } secret ? [.. secret.Versions] : null;
        }
    }

    /// <summary>Restores backed-up versions; <see langword="null"/> if a secret of that name exists, deleted or not (the service answers 409).</summary>
    public SecretVersion? Restore(IReadOnlyList<SecretVersion> versions)
    {
        lock (_lock)
        {
            PurgeExpired(_timeProvider.GetUtcNow());
            string name = versions[0].Name;
            if (_secrets.ContainsKey(name))
            {
                return null;
            }

            var secret = new StoredSecret(name);
            secret.Versions.AddRange(versions);
            _secrets.Add(name, secret);
            return secret.Latest;
        }
    }

    /// <summary>Gets a secret that is not deleted. Call under the lock.</summary>
    private StoredSecret? FindActive(string name)
    {
        return _secrets.TryGetValue(name, out StoredSecret? secret) && secret.Deletion is null ? secret : null;
    }

    /// <summary>Removes deleted secrets whose scheduled purge date has passed, as the service does. Call under the lock.</summary>
    private void PurgeExpired(DateTimeOffset now)
    {
        foreach (StoredSecret secret in _secrets.Values)
        {
            if (secret.Deletion is { } deletion && deletion.ScheduledPurge <= now)
            {
                _secrets.Remove(secret.Name);
            }
        }
    }
}
