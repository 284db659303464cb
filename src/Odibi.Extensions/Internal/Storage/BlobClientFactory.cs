using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// Builds the <see cref="BlobServiceClient"/> of a connection for its mode: shared key, SAS, or the identity credential
/// the prefetch already used (so its token is reused). Creating a client does no I/O: a Key Vault key or SAS is read by
/// <see cref="StorageKeyRotationPolicy"/> when a request is sent, and a service principal's Key Vault client secret when
/// a token is first asked for.
/// </summary>
internal sealed class BlobClientFactory(
    SecretCache cache,
    IdentityCredentials identities,
    IOptions<OdibiClientSettings> settings,
    TimeProvider time,
    ILogger<BlobClientFactory> logger)
{
    // Signs nothing: the policy sets the real key before the first request is signed.
    private static readonly string UnsetKey = Convert.ToBase64String(new byte[64]);

    public BlobServiceClient Create(AdlsConnection connection)
    {
        var options = new BlobClientOptions();
        foreach (var configure in settings.Value.ConfigureBlobClient)
        {
            configure(options);
        }

        var endpoint = connection.BlobEndpoint;
        switch (connection.AuthMode)
        {
            case AdlsAuthMode.KeyVault or AdlsAuthMode.DirectKey when connection.HasKeyVaultSecret:
            {
                var credential = new StorageSharedKeyCredential(connection.Account, UnsetKey);
                var secret = new RotatingStorageSecret(connection, cache, credential, time, logger);
                options.AddPolicy(new StorageKeyRotationPolicy(secret), HttpPipelinePosition.PerCall);
                return new KeyVaultKeyedBlobServiceClient(endpoint, credential, options, new SasSigningGuard(connection, secret));
            }

            case AdlsAuthMode.KeyVault or AdlsAuthMode.DirectKey:
                return new BlobServiceClient(endpoint, CreateSharedKey(connection, connection.InlineSecret!), options);

            case AdlsAuthMode.SasToken when connection.HasKeyVaultSecret:
            {
                var credential = new AzureSasCredential("unset");
                options.AddPolicy(new StorageKeyRotationPolicy(new RotatingStorageSecret(connection, cache, credential, time, logger)), HttpPipelinePosition.PerCall);
                return new BlobServiceClient(endpoint, credential, options);
            }

            case AdlsAuthMode.SasToken:
                return new BlobServiceClient(endpoint, new AzureSasCredential(connection.InlineSecret!), options);

            default:
                return new BlobServiceClient(endpoint, identities.For(connection), options);
        }
    }

    /// <summary>A shared key credential, or an error naming where the (not base64) key came from. Never shows the key.</summary>
    internal static StorageSharedKeyCredential CreateSharedKey(AdlsConnection connection, string key)
    {
        try
        {
            return new StorageSharedKeyCredential(connection.Account, key);
        }
        catch (FormatException exception)
        {
            throw NotAnAccountKey(connection, exception);
        }
    }

    /// <summary>The error for an account key that is not base64, naming where it came from and the fix.</summary>
    internal static InvalidOperationException NotAnAccountKey(AdlsConnection connection, FormatException exception)
    {
        var source = connection.HasKeyVaultSecret
            ? $"secret '{connection.SecretName}' in {connection.KeyVaultUri}"
            : $"{connection.SettingPath}:AccountKey";
        return new InvalidOperationException(
            $"Connection '{connection.Name}' (account {connection.Account}): the account key in {source} is not base64, so it is not a storage account key. " +
            $"Fix: store key1 or key2 of the account (az storage account keys list --account-name {connection.Account}).", exception);
    }
}
