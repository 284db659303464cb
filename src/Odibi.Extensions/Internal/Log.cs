using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "DirectKeyInProduction", Level = LogLevel.Warning,
        Message = "Connection '{Connection}' uses AuthMode DirectKey in the Production environment: store its key in Key Vault (AuthMode KeyVault), or set Odibi:RejectDirectKeyInProduction to refuse such connections.")]
    public static partial void DirectKeyInProduction(ILogger logger, string connection);
}
