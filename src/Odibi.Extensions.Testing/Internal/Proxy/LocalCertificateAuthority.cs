using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>
/// The proxy's local certificate authority, kept as PEM files in one folder: <c>ca.pem</c> (the certificate clients
/// trust), <c>ca.key.pem</c> (its key, readable by the owner only) and <c>ca-bundle.pem</c> (the system's roots plus
/// this CA, for variables such as <c>SSL_CERT_FILE</c> that replace the roots rather than add to them). A folder that
/// already holds the certificate and key keeps them, so clients' trust stays valid across runs.
/// </summary>
internal sealed class LocalCertificateAuthority : IDisposable
{
    public const string CertificateFileName = "ca.pem";
    public const string KeyFileName = "ca.key.pem";
    public const string BundleFileName = "ca-bundle.pem";

    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";
    private static readonly string[] s_systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

    private LocalCertificateAuthority(X509Certificate2 certificate, string directory)
    {
        Certificate = certificate;
        CertificatePath = Path.Combine(directory, CertificateFileName);
        BundlePath = Path.Combine(directory, BundleFileName);
    }

    /// <summary>Gets the CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the path of <c>ca.pem</c>.</summary>
    public string CertificatePath { get; }

    /// <summary>Gets the path of <c>ca-bundle.pem</c>.</summary>
    public string BundlePath { get; }

    /// <summary>Loads the CA of <paramref name="directory"/>, or creates one there (and the folder) when it has none.</summary>
    /// <exception cref="InvalidOperationException">The folder has only one of the two files, or they do not load.</exception>
    public static LocalCertificateAuthority LoadOrCreate(string directory, DateTimeOffset now)
    {
        Directory.CreateDirectory(directory);
        string certificatePath = Path.Combine(directory, CertificateFileName);
        string keyPath = Path.Combine(directory, KeyFileName);
        X509Certificate2 certificate;
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            }
            catch (CryptographicException ex)
            {
                throw new InvalidOperationException($"The CA in {directory} ({CertificateFileName}, {KeyFileName}) does not load: {ex.Message} Delete both files to have a new CA made, or pass another --ca-dir.", ex);
            }
        }
        else if (File.Exists(certificatePath) || File.Exists(keyPath))
        {
            throw new InvalidOperationException($"{directory} holds only one of {CertificateFileName} and {KeyFileName}: put both there (a PEM certificate with CA:true and its PEM key), or pass an empty --ca-dir to have a new CA made.");
        }
        else
        {
            certificate = CreateCertificateAuthority(now);
            WriteKey(keyPath, certificate);
            File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        }

        var authority = new LocalCertificateAuthority(certificate, directory);
        authority.WriteBundle();
        return authority;
    }

    /// <summary>Issues the proxy's server certificate: <c>*.{suffix}</c> for every Key Vault suffix, valid from now for 30 days.</summary>
    public X509Certificate2 IssueServerCertificate(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=LocalKeyVault vault hosts", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (string suffix in KeyVaultHosts.Suffixes)
        {
            names.AddDnsName("*." + suffix);
        }

        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthenticationOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        DateTimeOffset notAfter = now.AddDays(30) < Certificate.NotAfter ? now.AddDays(30) : Certificate.NotAfter.ToUniversalTime();
        using X509Certificate2 issued = request.Create(Certificate, now.AddMinutes(-5), notAfter, RandomNumberGenerator.GetBytes(16));
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);

        // A PKCS#12 round trip gives a certificate whose private key SslStream can use on every platform.
        byte[] pfx = withKey.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, password: null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    public void Dispose() => Certificate.Dispose();

    private static X509Certificate2 CreateCertificateAuthority(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=LocalKeyVault local CA, O=Odibi.Extensions.Testing", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        var subjectKeyIdentifier = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(subjectKeyIdentifier);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(subjectKeyIdentifier));
        using X509Certificate2 created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));
        byte[] pfx = created.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.Exportable);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    private static void WriteKey(string path, X509Certificate2 certificate)
    {
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The new CA has no private key.");
        string pem = key.ExportPkcs8PrivateKeyPem() + "\n";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(pem));
    }

    private void WriteBundle()
    {
        var bundle = new StringBuilder();
        if (s_systemBundles.FirstOrDefault(File.Exists) is { } system)
        {
            bundle.Append(File.ReadAllText(system)).Append('\n');
        }

        bundle.Append(Certificate.ExportCertificatePem()).Append('\n');
        File.WriteAllText(BundlePath, bundle.ToString());
    }
}
