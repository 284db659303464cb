using Azure;
using Azure.Storage;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// The account key or SAS token a connection's client signs with, when it comes from Key Vault. The client is created
/// without it: the first request reads it (sharing the connection's single-flight read), later requests follow the cache
/// (so a background refresh reaches the client). When storage refuses it, the vault is read again once per refused value
/// however many requests were refused together; if the vault still holds that value (a firewall rule, a revoked key
/// still stored) the next read waits out a back-off of minutes, growing, so a lasting refusal does not flood the vault.
/// </summary>
internal sealed class RotatingStorageSecret
{
    /// <summary>The first wait after storage refused a value the vault still holds.</summary>
    internal static readonly TimeSpan InitialBackOff = RefusedSecret.InitialBackOff;

    private readonly AdlsConnection _connection;
    private readonly SecretCache _cache;
    private readonly SecretKey _key;
    private readonly StorageSharedKeyCredential? _sharedKey;
    private readonly AzureSasCredential? _sas;
    private readonly RefusedSecret _refused;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private volatile string? _current;
    private long _version; // of _current, as SecretCache counts them: an older value is never applied over a newer one

    public RotatingStorageSecret(AdlsConnection connection, SecretCache cache, StorageSharedKeyCredential sharedKey, TimeProvider time, ILogger logger)
        : this(connection, cache, time, logger)
    {
        _sharedKey = sharedKey;
        Follow();
    }

    public RotatingStorageSecret(AdlsConnection connection, SecretCache cache, AzureSasCredential sas, TimeProvider time, ILogger logger)
        : this(connection, cache, time, logger)
    {
        _sas = sas;
        Follow();
    }

    private RotatingStorageSecret(AdlsConnection connection, SecretCache cache, TimeProvider time, ILogger logger)
    {
        _connection = connection;
        _cache = cache;
        _key = SecretKey.For(connection);
        _refused = new RefusedSecret(time);
        _logger = logger;
    }

    /// <summary>Gets the value the credential signs with now (as stored in the vault), or <see langword="null"/> before the first value exists.</summary>
    public string? Current => _current;

    /// <summary>
    /// Makes the credential sign with the cached value, reading the secret first if nothing is cached (joining a read
    /// under way). Without I/O when the value is cached.
    /// </summary>
    /// <returns>The value the request is signed with.</returns>
    /// <exception cref="InvalidOperationException">The secret could not be read, or is not an account key (names the connection and fix).</exception>
    /// <exception cref="TimeoutException">Key Vault did not answer within <c>FetchTimeout</c>.</exception>
    public async ValueTask<string> EnsureAsync(bool async, CancellationToken cancellationToken)
    {
        if (_cache.Peek(_key) is not { } cached)
        {
            var fetched = async
                ? await _connection.GetStorageKeyAsync(cancellationToken).ConfigureAwait(false)
                : _connection.GetStorageKey(cancellationToken); // on this thread: a synchronous caller needs no pool thread
            cached = _cache.Peek(_key) ?? new SecretValue(fetched, 0); // as stored (a SAS may keep its '?'), so it compares with the cache
        }

        if (cached.Value != _current && !Apply(cached) && _current is null)
        {
            throw BlobClientFactory.NotAnAccountKey(_connection, new FormatException("The account key is not base64."));
        }

        return _current!;
    }

    /// <summary>
    /// Called when storage refused <paramref name="refused"/>: reads the vault again (single-flight, keeping the cached
    /// value if the read fails) and swaps the credential when the vault holds another value. Does nothing while backing
    /// off from a value storage already refused and the vault still held.
    /// </summary>
    /// <returns><see langword="true"/> when the credential now signs with a different value, so the request is worth one retry.</returns>
    public async ValueTask<bool> RenewAsync(string refused, bool async, CancellationToken cancellationToken)
    {
        if (_current != refused)
        {
            return true; // another request already renewed it
        }

        if (await _refused.ReadAgainAsync(_cache, _key, refused, async, LogEpisode, cancellationToken).ConfigureAwait(false) is not { } renewed)
        {
            return false;
        }

        if (!Apply(renewed))
        {
            if (_refused.BackOff(refused))
            {
                Log.StorageSecretRenewFailed(_logger, _connection.Name, typeof(FormatException).FullName!,
                    $"secret '{_connection.SecretName}' in {_connection.KeyVaultUri} now holds a value that is not base64, so not an account key: store key1 or key2 of account {_connection.Account}.");
            }

            return false;
        }

        Log.StorageSecretRenewed(_logger, _connection.Name, _connection.SecretName!);
        return true;
    }

    private void LogEpisode(Exception? readFailed)
    {
        if (readFailed is null)
        {
            Log.StorageSecretStillRefused(_logger, _connection.Name, _connection.Account, _connection.SecretName!, _connection.KeyVaultUri!);
            return;
        }

        var error = SecretFailures.ForConnection(_connection, readFailed);
        Log.StorageSecretRenewFailed(_logger, _connection.Name, OdibiTelemetry.ErrorType(error), error.Message);
    }

    /// <summary>
    /// Signs with the value already read (e.g. by the prefetch) from the start, and with every new value the moment it is
    /// read (a refresh, another client's renewal): a SAS the client generates, however idle it was, uses the current key.
    /// The subscription lives as long as the cache, as the connection's one client does.
    /// </summary>
    private void Follow()
    {
        _ = _cache.Subscribe(_key, value => Apply(value));
        if (_cache.Peek(_key) is { } cached)
        {
            Apply(cached);
        }
    }

    /// <summary>Signs with <paramref name="secret"/> unless a newer value is already in use (version 0: unknown, applied if different).</summary>
    /// <returns><see langword="false"/> when the value is not a key (the old one is kept).</returns>
    private bool Apply(SecretValue secret)
    {
        var value = secret.Value;
        lock (_lock)
        {
            if (value == _current || secret.IsOlderThan(_version))
            {
                return true; // the same, or older than what the client signs with: keep the newer
            }

            try
            {
                _sharedKey?.SetAccountKey(value);
                _sas?.Update(value.TrimStart('?'));
            }
            catch (FormatException)
            {
                // Not a base64 key: keep signing with the old one; the refused request reports the failure.
                return false;
            }

            _current = value;
            _version = Math.Max(_version, secret.Version);
            _refused.InUse(value);
            return true;
        }
    }
}
