using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>A container client of a Key Vault keyed connection: signs a SAS only with the real account key (<see cref="SasSigningGuard"/>).</summary>
internal sealed class GuardedBlobContainerClient : BlobContainerClient
{
    // Kept to build the guarded child clients with the same key credential and pipeline settings.
    private readonly StorageSharedKeyCredential _credential;
    private readonly BlobClientOptions _options;
    private readonly SasSigningGuard _guard;

    public GuardedBlobContainerClient(Uri containerUri, StorageSharedKeyCredential credential, BlobClientOptions options, SasSigningGuard guard)
        : base(containerUri, credential, options)
    {
        _credential = credential;
        _options = options;
        _guard = guard;
    }

    public override bool CanGenerateSasUri => _guard.HasKey && base.CanGenerateSasUri;

    public override BlobClient GetBlobClient(string blobName) =>
        new GuardedBlobClient(base.GetBlobClient(blobName).Uri, _credential, _options, _guard);

    public override Uri GenerateSasUri(BlobContainerSasPermissions permissions, DateTimeOffset expiresOn)
    {
        _guard.EnsureKey();
        return base.GenerateSasUri(permissions, expiresOn);
    }

    public override Uri GenerateSasUri(BlobContainerSasPermissions permissions, DateTimeOffset expiresOn, out string stringToSign)
    {
        _guard.EnsureKey();
        return base.GenerateSasUri(permissions, expiresOn, out stringToSign);
    }

    public override Uri GenerateSasUri(BlobSasBuilder builder)
    {
        _guard.EnsureKey();
        return base.GenerateSasUri(builder);
    }

    public override Uri GenerateSasUri(BlobSasBuilder builder, out string stringToSign)
    {
        _guard.EnsureKey();
        return base.GenerateSasUri(builder, out stringToSign);
    }
}
