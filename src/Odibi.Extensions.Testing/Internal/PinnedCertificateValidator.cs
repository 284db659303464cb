using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// Accepts one certificate, pinned by its SHA-256 thumbprint, even though it does not chain to a trusted root;
/// every other certificate gets the default validation (no policy errors allowed).
/// </summary>
internal sealed class PinnedCertificateValidator
{
    private readonly byte[] _pinnedHash;

    public PinnedCertificateValidator(X509Certificate2 pinned)
    {
        _pinnedHash = pinned.GetCertHash(HashAlgorithmName.SHA256);
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // Only the untrusted-root error is forgiven, and only for the pinned certificate: a name mismatch still fails.
        return certificate is not null
            && errors == SslPolicyErrors.RemoteCertificateChainErrors
            && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), _pinnedHash);
    }
}
