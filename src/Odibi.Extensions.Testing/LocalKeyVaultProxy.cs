using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Odibi.Extensions.Testing.Internal.Proxy;

namespace Odibi.Extensions.Testing;

/// <summary>
/// <see cref="LocalKeyVault"/> as a standalone server that clients in any language use unchanged: an HTTPS proxy on
/// <c>http://127.0.0.1:{port}/</c> that clients select with <c>HTTPS_PROXY</c>, answering <c>https://{vault}.vault.azure.net/</c>
/// (and the sovereign clouds' vault hosts) with a certificate from a local CA and refusing every other host; a managed
/// identity endpoint in the App Service style (<c>IDENTITY_ENDPOINT</c>, <c>IDENTITY_HEADER</c>); and an admin API under
/// <c>/_admin/</c>. The bearer challenge names <c>https://vault.azure.net</c>, so clients keep verifying its resource.
/// <see cref="EnvironmentVariables"/> are what a client process needs; dispose the proxy to stop it.
/// </summary>
public sealed class LocalKeyVaultProxy : IAsyncDisposable
{
    private readonly string? _temporaryDirectory;

    private LocalKeyVaultProxy(LocalKeyVault server, string identityHeader, string certificatePath, string bundlePath, string? temporaryDirectory)
    {
        Server = server;
        IdentityHeader = identityHeader;
        CertificateAuthorityPath = certificatePath;
        CertificateBundlePath = bundlePath;
        _temporaryDirectory = temporaryDirectory;
        IdentityEndpoint = new Uri(server.Endpoint, Internal.Proxy.IdentityEndpoint.Path);
        AdminUri = new Uri(server.Endpoint, AdminApi.Prefix + "/");
        EnvironmentVariables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HTTPS_PROXY"] = ProxyUri.GetLeftPart(UriPartial.Authority),
            ["NO_PROXY"] = "127.0.0.1,localhost",
            ["IDENTITY_ENDPOINT"] = IdentityEndpoint.ToString(),
            ["IDENTITY_HEADER"] = identityHeader,
            ["NODE_EXTRA_CA_CERTS"] = certificatePath,
            ["SSL_CERT_FILE"] = bundlePath,
            ["REQUESTS_CA_BUNDLE"] = bundlePath,
        };
    }

    /// <summary>Gets the server: its vaults, knobs, request log and counters, as in process.</summary>
    public LocalKeyVault Server { get; }

    /// <summary>Gets the proxy's address, <c>http://127.0.0.1:{port}/</c>, the value of <c>HTTPS_PROXY</c>.</summary>
    public Uri ProxyUri => Server.Endpoint;

    /// <summary>Gets the managed-identity endpoint, <c>http://127.0.0.1:{port}/msi/token</c>, the value of <c>IDENTITY_ENDPOINT</c>.</summary>
    public Uri IdentityEndpoint { get; }

    /// <summary>Gets the value clients send in <c>X-IDENTITY-HEADER</c>, the value of <c>IDENTITY_HEADER</c>.</summary>
    public string IdentityHeader { get; }

    /// <summary>Gets the admin API's root, <c>http://127.0.0.1:{port}/_admin/</c>.</summary>
    public Uri AdminUri { get; }

    /// <summary>Gets the path of the local CA's certificate (<c>ca.pem</c>), for <c>NODE_EXTRA_CA_CERTS</c> or a Java trust store.</summary>
    public string CertificateAuthorityPath { get; }

    /// <summary>Gets the path of <c>ca-bundle.pem</c>, the system's roots plus the local CA, for <c>SSL_CERT_FILE</c> and <c>REQUESTS_CA_BUNDLE</c>.</summary>
    public string CertificateBundlePath { get; }

    /// <summary>
    /// Gets the variables a client process needs: <c>HTTPS_PROXY</c>, <c>NO_PROXY</c>, <c>IDENTITY_ENDPOINT</c>,
    /// <c>IDENTITY_HEADER</c>, <c>NODE_EXTRA_CA_CERTS</c>, <c>SSL_CERT_FILE</c> and <c>REQUESTS_CA_BUNDLE</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; }

    /// <summary>Starts the proxy: loads or creates the CA, starts the server, creates the vaults and applies the seed file.</summary>
    /// <param name="proxyOptions">The proxy's settings, or <see langword="null"/> for the defaults (a free port, no vaults).</param>
    /// <param name="options">The server's settings (tenant, rate limit, latency…), or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running proxy.</returns>
    /// <exception cref="ArgumentException">A vault name is invalid, or a setting of <paramref name="options"/> is.</exception>
    /// <exception cref="InvalidDataException">The seed file does not read or has the wrong shape.</exception>
    /// <exception cref="InvalidOperationException">The CA folder holds an unusable CA.</exception>
    /// <exception cref="IOException">The port is in use.</exception>
    public static async Task<LocalKeyVaultProxy> StartAsync(LocalKeyVaultProxyOptions? proxyOptions = null, LocalKeyVaultOptions? options = null, CancellationToken cancellationToken = default)
    {
        proxyOptions ??= new LocalKeyVaultProxyOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(proxyOptions.Port, nameof(proxyOptions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(proxyOptions.Port, 65535, nameof(proxyOptions));
        string? temporary = proxyOptions.CertificateDirectory is null ? Path.Combine(Path.GetTempPath(), "localkeyvault-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))) : null;
        string identityHeader = proxyOptions.IdentityHeader ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        DateTimeOffset now = DateTimeOffset.UtcNow;

        using LocalCertificateAuthority authority = LocalCertificateAuthority.LoadOrCreate(proxyOptions.CertificateDirectory ?? temporary!, now);
        X509Certificate2 serverCertificate = authority.IssueServerCertificate(now);
        X509Certificate2 trusted = X509CertificateLoader.LoadCertificate(authority.Certificate.RawData);
        var settings = new ProxySettings(proxyOptions.Port, serverCertificate, trusted, identityHeader);
        LocalKeyVault server = await LocalKeyVault.StartCoreAsync(options, settings, cancellationToken).ConfigureAwait(false);
        var proxy = new LocalKeyVaultProxy(server, identityHeader, authority.CertificatePath, authority.BundlePath, temporary);
        try
        {
            foreach (string vault in proxyOptions.Vaults)
            {
                server.Vault(vault);
            }

            if (proxyOptions.SeedFile is { } seed)
            {
                SeedFile.Apply(seed, server);
            }

            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Gets the names of the vaults the proxy hosts now (from the options, the seed file and the admin API), sorted.</summary>
    public IReadOnlyList<string> VaultNames => [.. Server.Vaults.Select(v => v.Name)];

    /// <summary>Gets the URL clients use for a vault this proxy hosts, <c>https://{name}.vault.azure.net/</c>.</summary>
    /// <param name="vaultName">The vault name.</param>
    /// <returns>The vault URL.</returns>
    /// <exception cref="ArgumentException"><paramref name="vaultName"/> is not a valid vault name.</exception>
    public Uri GetVaultUri(string vaultName) => Server.GetVaultUri(vaultName);

    /// <summary>Stops the server; a CA folder made for this run (no <see cref="LocalKeyVaultProxyOptions.CertificateDirectory"/>) is deleted.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync().ConfigureAwait(false);
        if (_temporaryDirectory is not null && Directory.Exists(_temporaryDirectory))
        {
            try
            {
                Directory.Delete(_temporaryDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a client may still hold the file open on some platforms.
            }
        }
    }
}
