using System.IO.Pipelines;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>A stream (the TLS stream of a tunnel) as the pipes Kestrel's HTTP layer reads and writes.</summary>
internal sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
{
    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));

    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
}
