using Odibi.Extensions;

namespace WebApi;

/// <summary>Logs the connections once the app has started, and every change of their status after that.</summary>
internal static partial class ConnectionLog
{
    public static void Attach(WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var connections = app.Services.GetRequiredService<IAdlsConnections>();
            Started(app.Logger, connections.LastPrefetch?.ToString() ?? "running in the background",
                string.Join(", ", connections.Select(c => $"{c.Name} {c.Status}")));
            foreach (var connection in connections)
            {
                connection.StatusChanged += (_, change) => Changed(app.Logger, connection.Name, change.Previous, change.Status);
            }
        });
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Startup prefetch: {Report}. Connections: {Connections}")]
    private static partial void Started(ILogger logger, string report, string connections);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Connection {Connection}: {Previous} -> {Status}")]
    private static partial void Changed(ILogger logger, string connection, ConnectionStatus previous, ConnectionStatus status);
}
