using System.Net.Http;
using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// Sends every vault request to the local server, carrying the vault name and original host in headers.
/// Added at <see cref="HttpPipelinePosition.BeforeTransport"/> and restores the original URI once the transport returns,
/// so the authentication policy (and its process-wide challenge cache) only ever sees the real vault host. A vault
/// the server does not host fails as an unknown host does, before anything is sent: a typo is not a new empty vault.
/// </summary>
internal sealed class LocalVaultRoutingPolicy : HttpPipelinePolicy
{
    private readonly Uri _endpoint;
    private readonly Func<string, bool> _hosts;

    public LocalVaultRoutingPolicy(Uri endpoint, Func<string, bool> hosts)
    {
        _endpoint = endpoint;
        _hosts = hosts;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Uri? original = Reroute(message);
        try
        {
            ProcessNext(message, pipeline);
        }
        finally
        {
            Restore(message, original);
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Uri? original = Reroute(message);
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        finally
        {
            Restore(message, original);
        }
    }

    /// <summary>Gets the vault name of an absolute vault URI: the first label of its host.</summary>
    internal static string? GetVaultName(Uri vaultUri)
    {
        if (vaultUri.HostNameType != UriHostNameType.Dns)
        {
            return null;
        }

        string host = vaultUri.IdnHost;
        int dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? host[..dot] : null;
    }

    private Uri? Reroute(HttpMessage message)
    {
        Uri original = message.Request.Uri.ToUri();
        if (string.Equals(original.Authority, _endpoint.Authority, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string? vaultName = GetVaultName(original);
        if (vaultName is null)
        {
            return null;
        }

        if (!_hosts(vaultName))
        {
            // What the transport throws when DNS does not know the host, with the fix in the message.
            string unknown = $"No such host is known ({original.IdnHost}:{original.Port}): LocalKeyVault hosts no vault named '{vaultName}'. " +
                             $"Create it before use: LocalKeyVault.Vault(\"{vaultName}\").";
            throw new RequestFailedException(0, unknown, new HttpRequestException(HttpRequestError.NameResolutionError, unknown, new SocketException((int)SocketError.HostNotFound)));
        }

        message.Request.Headers.SetValue(LocalVaultHeaders.VaultName, vaultName);
        // Headers are ASCII only: a vault host with non-ASCII letters travels in its punycode form, as DNS sees it.
        string authority = original.IsDefaultPort ? original.IdnHost : $"{original.IdnHost}:{original.Port}";
        message.Request.Headers.SetValue(LocalVaultHeaders.VaultHost, authority);

        var local = new UriBuilder(original)
        {
            Scheme = _endpoint.Scheme,
            Host = _endpoint.Host,
            Port = _endpoint.Port,
        };
        message.Request.Uri.Reset(local.Uri);
        return original;
    }

    private static void Restore(HttpMessage message, Uri? original)
    {
        if (original is not null)
        {
            message.Request.Uri.Reset(original);
        }
    }
}
