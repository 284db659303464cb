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
/// the prefetch already used (so its token is reused). Key Vault keys and SAS tokens get <see cref="StorageKeyRotationPolicy"/>.
/// </summary>
internal sealed class BlobClientFactory(
    SecretCache cache,
    SecretPrefetcher prefetcher,
    IOptions<OdibiClientSettings> settings,
    ILogger<BlobClientFactory> logger)
{
    public async ValueTask<BlobServiceClient> CreateAsync(AdlsConnection connection, CancellationToken cancellationToken)
    {
        var options = new BlobClientOptions();
        foreach (var configure in settings.Value.ConfigureBlobClient)
        {
            configure(options);
        }

        var endpoint = connection.BlobEndpoint;
        switch (connection.AuthMode)
        {
            case AdlsAuthMode.KeyVault or AdlsAuthMode.DirectKey:
            {
                var key = await connection.GetStorageKeyAsync(cancellationToken).ConfigureAwait(false);
                var credential = CreateSharedKey(connection, key);
                if (connection.HasKeyVaultSecret)
                {
                    options.AddPolicy(new StorageKeyRotationPolicy(new RotatingStorageSecret(connection, cache, key, credential, logger)), HttpPipelinePosition.PerCall);
                }

                return new BlobServiceClient(endpoint, credential, options);
            }

            case AdlsAuthMode.SasToken:
            {
                var sas = await connection.GetStorageKeyAsync(cancellationToken).ConfigureAwait(false);
                var credential = new AzureSasCredential(sas);
                if (connection.HasKeyVaultSecret)
                {
                    options.AddPolicy(new StorageKeyRotationPolicy(new RotatingStorageSecret(connection, cache, sas, credential, logger)), HttpPipelinePosition.PerCall);
                }

                return new BlobServiceClient(endpoint, credential, options);
            }

            default:
            {
                var clientSecret = connection.AuthMode == AdlsAuthMode.ServicePrincipal
                    ? await connection.GetStorageKeyAsync(cancellationToken).ConfigureAwait(false)
                    : null;
                TokenCredential credential = prefetcher.IdentityCredential(connection, clientSecret);
                return new BlobServiceClient(endpoint, credential, options);
            }
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
            var source = connection.HasKeyVaultSecret
                ? $"secret '{connection.SecretName}' in {connection.KeyVaultUri}"
                : $"{connection.SettingPath}:AccountKey";
            throw new InvalidOperationException(
                $"Connection '{connection.Name}' (account {connection.Account}): the account key in {source} is not base64, so it is not a storage account key. " +
                $"Fix: store key1 or key2 of the account (az storage account keys list --account-name {connection.Account}).", exception);
        }
    }
}
