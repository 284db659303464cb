using System.Globalization;

namespace Odibi.Extensions.ColdStart;

/// <summary>The command line of the measured process.</summary>
internal sealed record ColdStartArguments(int Connections, Uri? Vault, string? Pin, string VaultName, double TokenMs, Uri? SyncCallsBlob = null, bool SyncPlain = false, bool PlainSdk = false, bool TlsProbe = false)
{
    public static ColdStartArguments Parse(string[] args)
    {
        int connections = 0;
        Uri? vault = null;
        string? pin = null;
        string vaultName = "coldstart-kv";
        double tokenMs = 0;
        Uri? syncCallsBlob = null;
        var syncPlain = false;
        var plainSdk = false;
        var tlsProbe = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--connections": connections = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--vault": vault = new Uri(Next()); break;
                case "--pin": pin = Next(); break;
                case "--vault-name": vaultName = Next(); break;
                case "--token-ms": tokenMs = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--sync-calls": syncCallsBlob = new Uri(Next()); break;
                case "--sync-plain": syncPlain = true; break;
                case "--plain-sdk": plainSdk = true; break;
                case "--tls-probe": tlsProbe = true; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        if ((connections > 0 || tlsProbe) && (vault is null || pin is null))
        {
            throw new ArgumentException("--connections N (N > 0) and --tls-probe need --vault and --pin.");
        }

        return new ColdStartArguments(connections, vault, pin, vaultName, tokenMs, syncCallsBlob, syncPlain, plainSdk, tlsProbe);
    }

    /// <summary>The app's settings: quiet console logging, and connections <c>c00</c>, <c>c01</c>, … in one vault.</summary>
    public Dictionary<string, string?> Configuration()
    {
        var values = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Azure.Core"] = "Error",
        };
        for (var i = 0; i < (PlainSdk ? 0 : Connections); i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"Odibi:Connections:c{i:00}:");
            values[prefix + "Account"] = SyncCallsBlob is null ? string.Create(CultureInfo.InvariantCulture, $"coldstart{i:00}") : "devstoreaccount1";
            values[prefix + "Container"] = "lake";
            if (SyncCallsBlob is not null)
            {
                values[prefix + "BlobServiceUri"] = SyncCallsBlob.ToString();
            }

            values[prefix + "AuthMode"] = "KeyVault";
            values[prefix + "KeyVaultName"] = VaultName;
            values[prefix + "SecretName"] = SecretName(i);
        }

        return values;
    }

    public static string SecretName(int index) => string.Create(CultureInfo.InvariantCulture, $"c{index:00}-storage-key");
}
