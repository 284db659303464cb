using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>A blob client of a Key Vault keyed connection: signs a SAS only with the real account key (<see cref="SasSigningGuard"/>).</summary>
internal sealed class GuardedBlobClient(Uri blobUri, StorageSharedKeyCredential credential, BlobClientOptions options, SasSigningGuard guard)
    : BlobClient(blobUri, credential, options)
{
    public override bool CanGenerateSasUri => guard.HasKey && base.CanGenerateSasUri;

    public override Uri GenerateSasUri(BlobSasPermissions permissions, DateTimeOffset expiresOn)
    {
        guard.EnsureKey();
        return base.GenerateSasUri(permissions, expiresOn);
    }

    public override Uri GenerateSasUri(BlobSasPermissions permissions, DateTimeOffset expiresOn, out string stringToSign)
    {
        guard.EnsureKey();
        return base.GenerateSasUri(permissions, expiresOn, out stringToSign);
    }

    public override Uri GenerateSasUri(BlobSasBuilder builder)
    {
        guard.EnsureKey();
        return base.GenerateSasUri(builder);
    }

    public override Uri GenerateSasUri(BlobSasBuilder builder, out string stringToSign)
    {
        guard.EnsureKey();
        return base.GenerateSasUri(builder, out stringToSign);
    }
}
