namespace Odibi.Extensions.Testing;

/// <summary>Settings of <see cref="LocalKeyVaultProxy"/>, the standalone mode that clients in any language reach through <c>HTTPS_PROXY</c>.</summary>
public sealed class LocalKeyVaultProxyOptions
{
    /// <summary>Gets or sets the port on 127.0.0.1 for the proxy, the identity endpoint and the admin API.</summary>
    /// <value>0 (the default) picks a free port.</value>
    public int Port { get; set; }

    /// <summary>Gets the names of the vaults to host, e.g. <c>orders-kv</c> for <c>https://orders-kv.vault.azure.net/</c>. Other vault hosts fail as unknown hosts do.</summary>
    public IList<string> Vaults { get; } = [];

    /// <summary>Gets or sets the path of a JSON seed file, <c>{"vaults": {"orders-kv": {"db-password": "value"}}}</c>, whose vaults are hosted and whose secrets are set at start.</summary>
    /// <value><see langword="null"/> (the default) for none.</value>
    public string? SeedFile { get; set; }

    /// <summary>
    /// Gets or sets the folder of the local CA: <c>ca.pem</c> and <c>ca.key.pem</c> there are used when present (so trust
    /// set up once stays valid across runs) and created otherwise; <c>ca-bundle.pem</c> (the system roots plus the CA)
    /// is written beside them.
    /// </summary>
    /// <value><see langword="null"/> (the default) for a new folder under the temporary directory, with a new CA.</value>
    public string? CertificateDirectory { get; set; }

    /// <summary>Gets or sets the secret clients send in <c>X-IDENTITY-HEADER</c> (their <c>IDENTITY_HEADER</c>) to get a token.</summary>
    /// <value><see langword="null"/> (the default) for a new random value.</value>
    public string? IdentityHeader { get; set; }
}
