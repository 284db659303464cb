using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// Sends every vault request to the local server, carrying the vault name and original host in headers.
/// Added at <see cref="HttpPipelinePosition.BeforeTransport"/> and restores the original URI once the transport returns,
/// so the authentication policy (and its process-wide challenge cache) only ever sees the real vault host.
/// </summary>
internal sealed class LocalVaultRoutingPolicy : HttpPipelinePolicy
{
    private readonly Uri _endpoint;

    public LocalVaultRoutingPolicy(Uri endpoint)
    {
        _endpoint = endpoint;
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
