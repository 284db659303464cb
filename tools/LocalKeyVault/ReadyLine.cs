using System.Text;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Tools.LocalKeyVault;

/// <summary>What the tool prints once it serves: everything a client needs, on one line; and the same as shell exports.</summary>
internal static class ReadyLine
{
    public static string Format(LocalKeyVaultProxy proxy)
    {
        IReadOnlyDictionary<string, string> env = proxy.EnvironmentVariables;
        string vaults = string.Join(' ', proxy.VaultNames.Select(name => proxy.GetVaultUri(name).ToString()));
        string trustStore = Path.Combine(Path.GetDirectoryName(proxy.CertificateAuthorityPath)!, "localkeyvault.p12");
        var line = new StringBuilder()
            .Append("LocalKeyVault ready: port ").Append(proxy.ProxyUri.Port)
            .Append(" | vaults ").Append(vaults)
            .Append(" | CA ").Append(proxy.CertificateAuthorityPath)
            .Append(" | identity ").Append(proxy.IdentityEndpoint)
            .Append(" | admin ").Append(proxy.AdminUri)
            .Append(" | every client: ").Append(Pairs(env, "HTTPS_PROXY", "NO_PROXY", "IDENTITY_ENDPOINT", "IDENTITY_HEADER"))
            .Append(" | JavaScript: ").Append(Pairs(env, "NODE_EXTRA_CA_CERTS"))
            .Append(" | Python: ").Append(Pairs(env, "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"))
            .Append(" | .NET (Linux): ").Append(Pairs(env, "SSL_CERT_FILE"))
            .Append(" | Java: keytool -importcert -noprompt -alias localkeyvault -file ").Append(proxy.CertificateAuthorityPath)
            .Append(" -keystore ").Append(trustStore).Append(" -storetype PKCS12 -storepass changeit")
            .Append(", then java -Djavax.net.ssl.trustStore=").Append(trustStore).Append(" -Djavax.net.ssl.trustStorePassword=changeit")
            .Append(" -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=").Append(proxy.ProxyUri.Port)
            .Append(" -Dhttp.nonProxyHosts=127.0.0.1|localhost");
        return line.ToString();
    }

    public static string EnvFile(LocalKeyVaultProxy proxy)
    {
        var file = new StringBuilder();
        foreach ((string name, string value) in proxy.EnvironmentVariables)
        {
            file.Append("export ").Append(name).Append("='").Append(value.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        }

        return file.ToString();
    }

    private static string Pairs(IReadOnlyDictionary<string, string> env, params string[] names) =>
        string.Join(' ', names.Select(name => $"{name}={env[name]}"));
}
