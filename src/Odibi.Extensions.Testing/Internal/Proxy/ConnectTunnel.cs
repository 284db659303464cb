using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>
/// The proxy's front door, a Kestrel connection middleware: a connection that opens with <c>CONNECT {vault}.{suffix}:443</c>
/// for a vault the server hosts is answered 200, its TLS is terminated with the local CA's server certificate and its
/// requests go on to the HTTP layer marked with a <see cref="VaultTunnelFeature"/>; a CONNECT to any other host is
/// refused with the reason; any other connection is plain HTTP (the identity endpoint and the admin API).
/// </summary>
internal sealed class ConnectTunnel
{
    private const int MaxHeadLength = 16 * 1024;
    private static readonly byte[] s_connect = "CONNECT "u8.ToArray();
    private static readonly byte[] s_endOfHead = "\r\n\r\n"u8.ToArray();

    private readonly ConnectionDelegate _next;
    private readonly Func<string, bool> _hostsVault;
    private readonly SslStreamCertificateContext _certificate;
    private readonly Func<Uri> _adminUri;

    public ConnectTunnel(ConnectionDelegate next, Func<string, bool> hostsVault, X509Certificate2 serverCertificate, Func<Uri> adminUri)
    {
        _next = next;
        _hostsVault = hostsVault;
        _certificate = SslStreamCertificateContext.Create(serverCertificate, additionalCertificates: null, offline: true);
        _adminUri = adminUri;
    }

    /// <summary>Why a CONNECT target is refused, or <see langword="null"/> with the tunnel's feature when it is accepted.</summary>
    public (int Status, string Reason, string Message)? Check(string target, Uri adminUri, out VaultTunnelFeature? tunnel)
    {
        tunnel = null;
        int colon = target.LastIndexOf(':');
        string host = colon > 0 ? target[..colon] : target;
        string port = colon > 0 ? target[(colon + 1)..] : string.Empty;
        if (!KeyVaultHosts.TryParse(host, out string vaultName, out string suffix))
        {
            return (403, "Forbidden", $"LocalKeyVault proxies only Key Vault hosts ({KeyVaultHosts.Describe()}), not {host}: add {host} to NO_PROXY to reach it directly.");
        }

        if (port != "443")
        {
            return (403, "Forbidden", $"LocalKeyVault proxies Key Vault hosts on port 443 only, not {target}: use the vault URL https://{host}/.");
        }

        if (!LocalKeyVault.IsValidVaultName(vaultName) || !_hostsVault(vaultName))
        {
            // What a proxy answers when DNS does not know the host: a typo in a vault name is not a new, empty vault.
            return (502, "Bad Gateway", $"Unknown host {host}: LocalKeyVault hosts no vault named '{vaultName}'. Add --vault {vaultName} to its command line (or \"{vaultName}\" to the --seed file), or create it with PUT {adminUri}vaults/{vaultName}.");
        }

        tunnel = new VaultTunnelFeature(vaultName.ToLowerInvariant(), host.ToLowerInvariant(), "https://" + suffix);
        return null;
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        PipeReader input = connection.Transport.Input;
        string? target = null;
        while (target is null)
        {
            ReadResult read = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (!StartsWithConnect(buffer))
            {
                // Not a tunnel: leave every byte to the HTTP layer (the identity endpoint, the admin API).
                input.AdvanceTo(buffer.Start);
                await _next(connection).ConfigureAwait(false);
                return;
            }

            var reader = new SequenceReader<byte>(buffer);
            if (!reader.TryReadTo(out ReadOnlySequence<byte> head, s_endOfHead, advancePastDelimiter: true))
            {
                if (read.IsCompleted || buffer.Length > MaxHeadLength)
                {
                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            string requestLine = Encoding.ASCII.GetString(head).Split("\r\n")[0];
            input.AdvanceTo(reader.Position);
            string[] parts = requestLine.Split(' ');
            target = parts.Length == 3 ? parts[1] : string.Empty;
        }

        Stream raw = new DuplexPipeStream(connection.Transport);
        if (Check(target, _adminUri(), out VaultTunnelFeature? tunnel) is { } refusal)
        {
            byte[] body = Encoding.UTF8.GetBytes(refusal.Message + "\n");
            string response = $"HTTP/1.1 {refusal.Status} {refusal.Reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
            await raw.WriteAsync(Encoding.ASCII.GetBytes(response), connection.ConnectionClosed).ConfigureAwait(false);
            await raw.WriteAsync(body, connection.ConnectionClosed).ConfigureAwait(false);
            await raw.FlushAsync(connection.ConnectionClosed).ConfigureAwait(false);
            return;
        }

        await raw.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), connection.ConnectionClosed).ConfigureAwait(false);
        await raw.FlushAsync(connection.ConnectionClosed).ConfigureAwait(false);

        var tls = new SslStream(raw, leaveInnerStreamOpen: true);
        await using (tls.ConfigureAwait(false))
        {
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _certificate }, connection.ConnectionClosed).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
            {
                // The client did not trust the local CA (or gave up): it reports the reason on its side.
                return;
            }

            connection.Features.Set(tunnel);
            connection.Transport = new StreamDuplexPipe(tls);
            await _next(connection).ConfigureAwait(false);
        }
    }

    private static bool StartsWithConnect(ReadOnlySequence<byte> buffer)
    {
        int length = (int)Math.Min(buffer.Length, s_connect.Length);
        Span<byte> start = stackalloc byte[8];
        buffer.Slice(0, length).CopyTo(start);
        return start[..length].SequenceEqual(s_connect.AsSpan(0, length));
    }
}
