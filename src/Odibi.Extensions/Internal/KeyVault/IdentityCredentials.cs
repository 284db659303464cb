using System.Collections.Concurrent;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// The storage credential of each identity connection (<see cref="AdlsAuthMode.ServicePrincipal"/>,
/// <see cref="AdlsAuthMode.ManagedIdentity"/>), one per connection, shared by the prefetch, the health probe and every
/// client handed out. A service principal whose client secret is in Key Vault follows the secret: a new value (a
/// refresh, a re-read) replaces the credential at once, and a token request the identity platform refuses re-reads the
/// vault once per refused value, then backs off as storage keys do.
/// </summary>
internal sealed class IdentityCredentials(StorageCredentialFactory factory, SecretCache cache, TimeProvider time, ILogger<IdentityCredentials> logger)
{
    private readonly ConcurrentDictionary<string, Lazy<TokenCredential>> _byConnection = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The scope a storage token is requested for.</summary>
    public static TokenRequestContext StorageScope => StorageCredentialFactory.StorageScope;

    /// <summary>Gets (creating once, without I/O) the identity credential of <paramref name="connection"/>.</summary>
    public TokenCredential For(AdlsConnection connection) =>
        _byConnection.GetOrAdd(connection.Name, _ => new Lazy<TokenCredential>(() => Create(connection))).Value;

    private TokenCredential Create(AdlsConnection connection)
    {
        if (connection.AuthMode == AdlsAuthMode.ServicePrincipal && connection.HasKeyVaultSecret)
        {
            return new RotatingIdentity(connection, factory, cache, new RefusedSecret(time), logger);
        }

        return factory.Create(connection, connection.InlineSecret); // a service principal's inline client secret; none for a managed identity
    }

    /// <summary>A service principal's credential built from the current value of its Key Vault client secret.</summary>
    private sealed class RotatingIdentity : TokenCredential
    {
        private readonly AdlsConnection _connection;
        private readonly StorageCredentialFactory _factory;
        private readonly SecretCache _cache;
        private readonly SecretKey _key;
        private readonly RefusedSecret _refused;
        private readonly ILogger _logger;
        private readonly Lock _lock = new();
        private Current? _current;

        public RotatingIdentity(AdlsConnection connection, StorageCredentialFactory factory, SecretCache cache, RefusedSecret refused, ILogger logger)
        {
            _connection = connection;
            _factory = factory;
            _cache = cache;
            _key = SecretKey.For(connection);
            _refused = refused;
            _logger = logger;
            _ = cache.Subscribe(_key, value => Use(value)); // lives as long as the cache, as this credential does
        }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, async: false, cancellationToken).GetAwaiter().GetResult(); // completes on this thread

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, async: true, cancellationToken);

        private async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, bool async, CancellationToken cancellationToken)
        {
            var current = await CurrentAsync(async, cancellationToken).ConfigureAwait(false);
            try
            {
                return await AskAsync(current).ConfigureAwait(false);
            }
            catch (AuthenticationFailedException refused) when (!cancellationToken.IsCancellationRequested)
            {
                // The identity platform refused the client secret (expired, rotated): one read of the vault per refused value.
                if (!await RenewAsync(current.Secret, async, cancellationToken).ConfigureAwait(false))
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
                }
            }

            return await AskAsync(Volatile.Read(ref _current)!).ConfigureAwait(false);

            ValueTask<AccessToken> AskAsync(Current credential) => async
                ? credential.Credential.GetTokenAsync(requestContext, cancellationToken)
                : ValueTask.FromResult(credential.Credential.GetToken(requestContext, cancellationToken));
        }

        private async ValueTask<Current> CurrentAsync(bool async, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _current) is { } current)
            {
                return current;
            }

            var secret = async
                ? await _connection.GetStorageKeyAsync(cancellationToken).ConfigureAwait(false)
                : _connection.GetStorageKey(cancellationToken);
            return Use(_cache.Versioned(_key, secret));
        }

        /// <summary>The identity platform refused <paramref name="refused"/>: reads the vault again unless backing off.</summary>
        /// <returns><see langword="true"/> when the credential now uses another value, so the token request is worth one retry.</returns>
        private async ValueTask<bool> RenewAsync(string refused, bool async, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _current)?.Secret != refused)
            {
                return true; // already renewed by another caller or a refresh
            }

            if (await _refused.ReadAgainAsync(_cache, _key, refused, async, LogEpisode, cancellationToken).ConfigureAwait(false) is not { } renewed)
            {
                return false; // the vault still holds the refused secret, or could not be read: the token error says why
            }

            Use(renewed);
            return true;
        }

        private void LogEpisode(Exception? readFailed)
        {
            if (readFailed is not null)
            {
                var error = SecretFailures.ForConnection(_connection, readFailed);
                Log.IdentitySecretRenewFailed(_logger, _connection.Name, OdibiTelemetry.ErrorType(error), error.Message);
            }
        }

        private Current Use(SecretValue value)
        {
            var secret = value.Value;
            lock (_lock)
            {
                if (_current is { } current && (current.Secret == secret || value.IsOlderThan(current.Version)))
                {
                    return current; // the same, or older than the one in use
                }

                var renewed = _current is not null;
                _current = new Current(secret, Math.Max(value.Version, _current?.Version ?? 0), _factory.Create(_connection, secret));
                _refused.InUse(secret);
                if (renewed)
                {
                    Log.IdentitySecretRenewed(_logger, _connection.Name, _connection.SecretName!);
                }

                return _current;
            }
        }

        // A class, not a record: a record's ToString would print the secret.
        private sealed class Current(string secret, long version, TokenCredential credential)
        {
            public string Secret => secret;

            public long Version => version;

            public TokenCredential Credential => credential;
        }
    }
}
