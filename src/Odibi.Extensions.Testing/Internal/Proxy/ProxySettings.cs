using System.Security.Cryptography.X509Certificates;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>What the server needs to run as a proxy rather than in process: its port, certificates and identity header.</summary>
/// <param name="Port">The port on 127.0.0.1, or 0 for a free one.</param>
/// <param name="ServerCertificate">The certificate for the vault hosts, issued by <paramref name="CertificateAuthority"/>.</param>
/// <param name="CertificateAuthority">The CA clients trust (the server's own .NET clients trust it alone).</param>
/// <param name="IdentityHeader">The value the identity endpoint expects in <c>X-IDENTITY-HEADER</c>.</param>
internal sealed record ProxySettings(int Port, X509Certificate2 ServerCertificate, X509Certificate2 CertificateAuthority, string IdentityHeader);
