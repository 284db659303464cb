using Azure.Storage;
using Azure.Storage.Blobs;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// The <see cref="BlobServiceClient"/> of a connection whose account key is in Key Vault. Its container and blob clients
/// refuse to sign a SAS before the key has been read (<see cref="SasSigningGuard"/>), instead of signing with a
/// placeholder. <see cref="BlobServiceClient.GenerateAccountSasUri(Azure.Storage.Sas.AccountSasBuilder)"/> cannot be
/// guarded (the SDK does not let it be overridden): <see cref="CanGenerateAccountSasUri"/> says false until the key exists.
/// Not guarded either: the clients of the Specialized extensions (block, append, page blobs), parent and snapshot clients.
/// </summary>
internal sealed class KeyVaultKeyedBlobServiceClient : BlobServiceClient
{
    // Kept to build the guarded child clients with the same key credential and pipeline settings.
    private readonly StorageSharedKeyCredential _credential;
    private readonly BlobClientOptions _options;
    private readonly SasSigningGuard _guard;

    public KeyVaultKeyedBlobServiceClient(Uri endpoint, StorageSharedKeyCredential credential, BlobClientOptions options, SasSigningGuard guard)
        : base(endpoint, credential, options)
    {
        _credential = credential;
        _options = options;
        _guard = guard;
    }

    public override bool CanGenerateAccountSasUri => _guard.HasKey && base.CanGenerateAccountSasUri;

    public override BlobContainerClient GetBlobContainerClient(string blobContainerName) =>
        new GuardedBlobContainerClient(base.GetBlobContainerClient(blobContainerName).Uri, _credential, _options, _guard);
}
