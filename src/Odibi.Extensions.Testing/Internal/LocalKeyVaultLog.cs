using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>LocalKeyVault's own log messages. They name vaults and secrets, never secret values.</summary>
internal static partial class LocalKeyVaultLog
{
    [LoggerMessage(EventId = 1, EventName = "LocalKeyVaultStarted", Level = LogLevel.Information,
        Message = "LocalKeyVault listening on {Endpoint}.")]
    public static partial void Started(ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 2, EventName = "LocalKeyVaultRequest", Level = LogLevel.Debug,
        Message = "{Method} vault '{Vault}' secret '{Secret}' version {Version}: {Status} (token: {HasToken}, fault: {Fault}).")]
    public static partial void Request(ILogger logger, string method, string? vault, string? secret, string version, string status, bool hasToken, string fault);

    [LoggerMessage(EventId = 3, EventName = "LocalKeyVaultStopped", Level = LogLevel.Information,
        Message = "LocalKeyVault on {Endpoint} stopped.")]
    public static partial void Stopped(ILogger logger, Uri endpoint);
}
