using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Tools.LocalKeyVault;

/// <summary>The tool's flags, read into the proxy's and the server's options.</summary>
internal sealed class CommandLine
{
    public const int DefaultPort = 8443;

    public const string Usage = """
        Usage: LocalKeyVault --vault <name> [--vault <name>...] [--seed <file.json>] [--port <port>] [--ca-dir <dir>]
                             [--tenant <id>] [--identity-header <value>] [--env-file <file>]
          --vault            a vault to host, reached as https://<name>.vault.azure.net/ (repeat for more)
          --seed             a JSON file {"vaults": {"<vault>": {"<secret>": "<value>"}}}; its vaults are hosted too
          --port             the port on 127.0.0.1 for the proxy, identity endpoint and admin API (default 8443; 0 = free)
          --ca-dir           the local CA's folder: ca.pem and ca.key.pem are reused when there (trust stays valid
                             across runs), created otherwise (default: a new folder under the temp dir)
          --tenant           the tenant id named in the bearer challenge
          --identity-header  the IDENTITY_HEADER clients must send (default: random)
          --env-file         also write the client variables to this file as shell exports
        Clients: HTTPS_PROXY=http://127.0.0.1:<port>, NO_PROXY=127.0.0.1,localhost, IDENTITY_ENDPOINT, IDENTITY_HEADER
        and the CA variables, all printed on the ready line. Docs: docs/testing.md.
        """;

    public LocalKeyVaultProxyOptions ProxyOptions { get; } = new() { Port = DefaultPort };

    public LocalKeyVaultOptions ServerOptions { get; } = new();

    public string? EnvFile { get; private set; }

    public bool Help { get; private set; }

    public static bool TryParse(string[] args, [NotNullWhen(true)] out CommandLine? command, [NotNullWhen(false)] out string? error)
    {
        var parsed = new CommandLine();
        command = null;
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            if (flag is "-h" or "--help")
            {
                parsed.Help = true;
                continue;
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                error = flag.StartsWith("--", StringComparison.Ordinal) ? $"{flag} needs a value." : $"Unexpected argument '{flag}'.";
                return false;
            }

            string value = args[++i];
            switch (flag)
            {
                case "--vault":
                    parsed.ProxyOptions.Vaults.Add(value);
                    break;
                case "--seed":
                    parsed.ProxyOptions.SeedFile = value;
                    break;
                case "--port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535:
                    parsed.ProxyOptions.Port = port;
                    break;
                case "--port":
                    error = $"--port {value} is not a port number (0 to 65535).";
                    return false;
                case "--ca-dir":
                    parsed.ProxyOptions.CertificateDirectory = value;
                    break;
                case "--tenant":
                    parsed.ServerOptions.TenantId = value;
                    break;
                case "--identity-header":
                    parsed.ProxyOptions.IdentityHeader = value;
                    break;
                case "--env-file":
                    parsed.EnvFile = value;
                    break;
                default:
                    error = $"Unknown flag '{flag}'.";
                    return false;
            }
        }

        if (!parsed.Help && parsed.ProxyOptions.Vaults.Count == 0 && parsed.ProxyOptions.SeedFile is null)
        {
            error = "Name at least one vault: --vault <name> (or a --seed file with vaults).";
            return false;
        }

        command = parsed;
        error = null;
        return true;
    }
}
