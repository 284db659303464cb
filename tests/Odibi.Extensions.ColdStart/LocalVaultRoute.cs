using System.Net.Security;
using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;

namespace Odibi.Extensions.ColdStart;

/// <summary>
/// Points the Key Vault clients at a LocalKeyVault in another process, as <c>UseLocalKeyVault</c> does in process:
/// each request goes to its endpoint with the vault name and host in LocalKeyVault's routing headers, over HTTPS that
/// accepts exactly the server's certificate (by SHA-256 hash).
/// </summary>
internal sealed class LocalVaultRoute(Uri endpoint) : HttpPipelinePolicy
{
    public static void Configure(SecretClientOptions options, Uri endpoint, string pin)
    {
        var pinned = Convert.FromHexString(pin);
        options.Transport = new HttpClientTransport(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == SslPolicyErrors.None ||
                    (certificate is not null && errors == SslPolicyErrors.RemoteCertificateChainErrors &&
                     CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), pinned)),
            },
        });
        options.AddPolicy(new LocalVaultRoute(endpoint), HttpPipelinePosition.BeforeTransport);
        options.DisableChallengeResourceVerification = true;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var original = Reroute(message);
        try
        {
            ProcessNext(message, pipeline);
        }
        finally
        {
            message.Request.Uri.Reset(original);
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var original = Reroute(message);
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        finally
        {
            message.Request.Uri.Reset(original);
        }
    }

    private Uri Reroute(HttpMessage message)
    {
        var original = message.Request.Uri.ToUri();
        message.Request.Headers.SetValue("x-ms-local-vault", original.Host.Split('.')[0]);
        message.Request.Headers.SetValue("x-ms-local-vault-host", original.Authority);
        message.Request.Uri.Reset(new UriBuilder(original) { Scheme = endpoint.Scheme, Host = endpoint.Host, Port = endpoint.Port }.Uri);
        return original;
    }
}
