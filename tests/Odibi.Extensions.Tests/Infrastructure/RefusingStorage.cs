using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Odibi.Extensions.Tests.Infrastructure;

/// <summary>
/// A loopback blob endpoint that answers every request 403 <c>AuthorizationFailure</c>, as a storage firewall does, and
/// counts the requests. Plain HTTP/1.1 over a socket, so it needs no emulator.
/// </summary>
internal sealed class RefusingStorage : IAsyncDisposable
{
    private const string Body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationFailure</Code>" +
                                "<Message>This request is not authorized to perform this operation.</Message></Error>";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _requests;

    public RefusingStorage()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Gets the blob service URL, e.g. <c>http://127.0.0.1:54321/devstoreaccount1</c>.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{Azurite.Account}";

    public int Requests => Volatile.Read(ref _requests);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            while (!_stop.IsCancellationRequested)
            {
                var requestLine = await reader.ReadLineAsync(_stop.Token);
                if (string.IsNullOrEmpty(requestLine))
                {
                    return;
                }

                var length = 0;
                for (var line = await reader.ReadLineAsync(_stop.Token); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync(_stop.Token))
                {
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }

                if (length > 0)
                {
                    var buffer = new char[length];
                    await reader.ReadBlockAsync(buffer, _stop.Token);
                }

                Interlocked.Increment(ref _requests);
                var body = Encoding.UTF8.GetBytes(Body);
                var head = "HTTP/1.1 403 This request is not authorized to perform this operation.\r\n" +
                           "x-ms-error-code: AuthorizationFailure\r\nContent-Type: application/xml\r\n" +
                           $"Content-Length: {body.Length}\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
                await stream.FlushAsync(_stop.Token);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException)
        {
        }
    }
}
