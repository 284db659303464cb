using Azure;
using Azure.Storage;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// The account key or SAS token a connection's client signs with, when it comes from Key Vault: follows the cache (so a
/// background refresh reaches the client) and, when storage refuses it, reads the vault again, once per refused value
/// however many requests were refused together.
/// </summary>
internal sealed class RotatingStorageSecret
{
    private readonly AdlsConnection _connection;
    private readonly SecretCache _cache;
    private readonly SecretKey _key;
    private readonly StorageSharedKeyCredential? _sharedKey;
    private readonly AzureSasCredential? _sas;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private volatile string _current;

    public RotatingStorageSecret(AdlsConnection connection, SecretCache cache, string value, StorageSharedKeyCredential sharedKey, ILogger logger)
        : this(connection, cache, value, logger)
    {
        _sharedKey = sharedKey;
    }

    public RotatingStorageSecret(AdlsConnection connection, SecretCache cache, string value, AzureSasCredential sas, ILogger logger)
        : this(connection, cache, value, logger)
    {
        _sas = sas;
    }

    private RotatingStorageSecret(AdlsConnection connection, SecretCache cache, string value, ILogger logger)
    {
        _connection = connection;
        _cache = cache;
        _key = SecretKey.For(connection);
        _current = cache.Peek(_key) ?? value; // as stored (a SAS may keep its '?'), so it compares with the cache
        _logger = logger;
    }

    /// <summary>Gets the value the credential signs with now.</summary>
    public string Current => _current;

    /// <summary>Takes the cached value if it changed (a background refresh or another client's rotation). No I/O.</summary>
    public void FollowCache()
    {
        if (_cache.Peek(_key) is { } cached && cached != _current)
        {
            Apply(cached);
        }
    }

    /// <summary>
    /// Called when storage refused <paramref name="refused"/>: reads the vault again (single-flight, keeping the cached
    /// value if the read fails) and swaps the credential when the vault holds another value.
    /// </summary>
    /// <returns><see langword="true"/> when the credential now signs with a different value, so the request is worth one retry.</returns>
    public async ValueTask<bool> RenewAsync(string refused, bool async, CancellationToken cancellationToken)
    {
        if (_current != refused)
        {
            return true; // another request already renewed it
        }

        string value;
        try
        {
            var read = _cache.RefreshIfStaleAsync(_key, refused, cancellationToken);
            value = async ? await read.ConfigureAwait(false) : read.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            var error = SecretFailures.ForConnection(_connection, exception);
            Log.StorageSecretRenewFailed(_logger, _connection.Name, OdibiTelemetry.ErrorType(error), error.Message);
            return false;
        }

        if (value == refused)
        {
            Log.StorageSecretStillRefused(_logger, _connection.Name, _connection.Account, _connection.SecretName!, _connection.KeyVaultUri!);
            return false;
        }

        if (!Apply(value))
        {
            Log.StorageSecretRenewFailed(_logger, _connection.Name, typeof(FormatException).FullName!,
                $"secret '{_connection.SecretName}' in {_connection.KeyVaultUri} now holds a value that is not base64, so not an account key: store key1 or key2 of account {_connection.Account}.");
            return false;
        }

        Log.StorageSecretRenewed(_logger, _connection.Name, _connection.SecretName!);
        return true;
    }

    private bool Apply(string value)
    {
        lock (_lock)
        {
            if (value == _current)
            {
                return true;
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
            return true;
        }
    }
}
