using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using Azure.Security.KeyVault.Secrets;

namespace Odibi.Extensions.ColdStart;

/// <summary>The cold-start controls: the plain SDK reading the secrets, and a bare first HTTPS request.</summary>
internal static class PlainSdk
{
    /// <summary>One <see cref="SecretClient"/>, the N secrets requested at once; returns how many were read.</summary>
    public static async Task<int> ReadAllAsync(ColdStartArguments settings, DelayedTokenCredential credential)
    {
        var options = new SecretClientOptions();
        LocalVaultRoute.Configure(options, settings.Vault!, settings.Pin!);
        var client = new SecretClient(new Uri($"https://{settings.VaultName}.vault.azure.net/"), credential, options);
        var values = await Task.WhenAll(Enumerable.Range(0, settings.Connections)
            .Select(async i => (await client.GetSecretAsync(ColdStartArguments.SecretName(i))).Value.Value));
        return values.Count(v => !string.IsNullOrEmpty(v));
    }

    /// <summary>One GET to <paramref name="endpoint"/> over HTTPS, its certificate pinned by SHA-256 hash.</summary>
    public static async Task FirstHttpsAsync(Uri endpoint, string pin)
    {
        var pinned = Convert.FromHexString(pin);
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == SslPolicyErrors.None ||
                    (certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), pinned)),
            },
        };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(endpoint);
    }
}
