using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>Accepts a server certificate that chains to one CA and names the host; trusts nothing else.</summary>
internal sealed class CertificateAuthorityValidator(X509Certificate2 authority)
{
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(authority);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
