using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Internal;

/// <summary>The package's log messages. None takes a secret value.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "DirectKeyInProduction", Level = LogLevel.Warning,
        Message = "Connection '{Connection}' uses AuthMode DirectKey in the Production environment: store its key in Key Vault (AuthMode KeyVault), or set Odibi:RejectDirectKeyInProduction to refuse such connections.")]
    public static partial void DirectKeyInProduction(ILogger logger, string connection);

    [LoggerMessage(EventId = 2, EventName = "PrefetchStarting", Level = LogLevel.Information,
        Message = "Prefetching {SecretCount} Key Vault secrets from {VaultCount} vaults and {TokenCount} identity tokens for {ConnectionCount} connections, at most {MaxConcurrency} requests in flight per vault.")]
    public static partial void PrefetchStarting(ILogger logger, int secretCount, int vaultCount, int tokenCount, int connectionCount, int maxConcurrency);

    [LoggerMessage(EventId = 3, EventName = "ConnectionReady", Level = LogLevel.Information,
        Message = "Connection '{Connection}' is ready ({DurationMs:F0} ms).")]
    public static partial void ConnectionReady(ILogger logger, string connection, double durationMs);

    [LoggerMessage(EventId = 4, EventName = "ConnectionFailed", Level = LogLevel.Warning,
        Message = "Connection '{Connection}' failed after {DurationMs:F0} ms: {ErrorType}: {ErrorMessage}")]
    public static partial void ConnectionFailed(ILogger logger, string connection, double durationMs, string errorType, string errorMessage);

    [LoggerMessage(EventId = 5, EventName = "PrefetchCompleted", Level = LogLevel.Information,
        Message = "Prefetch finished in {ElapsedMs:F0} ms: {Succeeded} of {Total} connections ready.")]
    public static partial void PrefetchCompleted(ILogger logger, double elapsedMs, int succeeded, int total);

    [LoggerMessage(EventId = 6, EventName = "RefreshFailed", Level = LogLevel.Warning,
        Message = "Refreshing connection '{Connection}' failed; its last good secret is still served: {ErrorType}: {ErrorMessage}")]
    public static partial void RefreshFailed(ILogger logger, string connection, string errorType, string errorMessage);

    [LoggerMessage(EventId = 7, EventName = "SecretRefreshed", Level = LogLevel.Debug,
        Message = "Connection '{Connection}' refreshed its secret.")]
    public static partial void SecretRefreshed(ILogger logger, string connection);

    [LoggerMessage(EventId = 8, EventName = "BackgroundPrefetchFailed", Level = LogLevel.Error,
        Message = "The background prefetch of the Odibi connections failed unexpectedly; failed connections are retried.")]
    public static partial void BackgroundPrefetchFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9, EventName = "StorageChecked", Level = LogLevel.Debug,
        Message = "Connection '{Connection}' opened container '{Container}' ({DurationMs:F0} ms).")]
    public static partial void StorageChecked(ILogger logger, string connection, string container, double durationMs);

    [LoggerMessage(EventId = 10, EventName = "StorageCheckFailed", Level = LogLevel.Warning,
        Message = "Connection '{Connection}' failed its storage check after {DurationMs:F0} ms: {ErrorType}: {ErrorMessage}")]
    public static partial void StorageCheckFailed(ILogger logger, string connection, double durationMs, string errorType, string errorMessage);

    [LoggerMessage(EventId = 11, EventName = "StorageSecretRenewed", Level = LogLevel.Information,
        Message = "Storage refused the key or SAS of connection '{Connection}'; secret '{SecretName}' had changed in Key Vault and the new value is used from now on.")]
    public static partial void StorageSecretRenewed(ILogger logger, string connection, string secretName);

    [LoggerMessage(EventId = 12, EventName = "StorageSecretStillRefused", Level = LogLevel.Warning,
        Message = "Storage refused the key or SAS of connection '{Connection}' (account {Account}), and secret '{SecretName}' in {Vault} still holds the same value: store the current one in the vault, or allow this network in the account's firewall. The vault is asked again after a back-off of minutes, or at once when a refresh brings a new value.")]
    public static partial void StorageSecretStillRefused(ILogger logger, string connection, string account, string secretName, Uri vault);

    [LoggerMessage(EventId = 13, EventName = "StorageSecretRenewFailed", Level = LogLevel.Warning,
        Message = "Storage refused the key or SAS of connection '{Connection}', and reading it again from Key Vault failed: {ErrorType}: {ErrorMessage}")]
    public static partial void StorageSecretRenewFailed(ILogger logger, string connection, string errorType, string errorMessage);

    [LoggerMessage(EventId = 14, EventName = "ConnectionReadyLate", Level = LogLevel.Information,
        Message = "Connection '{Connection}' is ready: its secret or token arrived after the startup wait ({DurationMs:F0} ms).")]
    public static partial void ConnectionReadyLate(ILogger logger, string connection, double durationMs);

    [LoggerMessage(EventId = 15, EventName = "ConnectionRetryScheduled", Level = LogLevel.Debug,
        Message = "Failed connection '{Connection}' will be retried in {DelayMs:F0} ms (attempt {Attempt}).")]
    public static partial void ConnectionRetryScheduled(ILogger logger, string connection, double delayMs, int attempt);

    [LoggerMessage(EventId = 17, EventName = "ConnectionRetrying", Level = LogLevel.Debug,
        Message = "Retrying {Count} failed connection(s): {Names}.")]
    public static partial void ConnectionRetrying(ILogger logger, int count, string names);

    [LoggerMessage(EventId = 18, EventName = "ConnectionRecovered", Level = LogLevel.Information,
        Message = "Connection '{Connection}' is ready again after a retry ({DurationMs:F0} ms).")]
    public static partial void ConnectionRecovered(ILogger logger, string connection, double durationMs);

    [LoggerMessage(EventId = 19, EventName = "ConnectionStillFailing", Level = LogLevel.Debug,
        Message = "Connection '{Connection}' is still failing after retry {Attempt}: {ErrorType}: {ErrorMessage}")]
    public static partial void ConnectionStillFailing(ILogger logger, string connection, int attempt, string errorType, string errorMessage);

    [LoggerMessage(EventId = 20, EventName = "RetryLoopFailed", Level = LogLevel.Error,
        Message = "A retry of the failed Odibi connections failed unexpectedly; the next one is scheduled as usual.")]
    public static partial void RetryLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 21, EventName = "RefreshLoopFailed", Level = LogLevel.Error,
        Message = "A refresh of the Odibi connections failed unexpectedly; the next one runs at its time.")]
    public static partial void RefreshLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 22, EventName = "StatusChangedHandlerFailed", Level = LogLevel.Error,
        Message = "A StatusChanged handler of connection '{Connection}' threw; the other handlers and the status change went on.")]
    public static partial void StatusChangedHandlerFailed(ILogger logger, string connection, Exception exception);

    [LoggerMessage(EventId = 23, EventName = "IdentitySecretRenewed", Level = LogLevel.Information,
        Message = "Connection '{Connection}' uses the new value of client secret '{SecretName}' for its storage tokens from now on.")]
    public static partial void IdentitySecretRenewed(ILogger logger, string connection, string secretName);

    [LoggerMessage(EventId = 16, EventName = "FetchTimeoutAboveStartupTimeout", Level = LogLevel.Warning,
        Message = "{Root}:Prefetch:FetchTimeout ({FetchTimeout}) is longer than {Root}:Prefetch:StartupTimeout ({StartupTimeout}): a slow secret fails the startup wait before its own timeout. Lower FetchTimeout or raise StartupTimeout.")]
    public static partial void FetchTimeoutAboveStartupTimeout(ILogger logger, string root, TimeSpan fetchTimeout, TimeSpan startupTimeout);

    [LoggerMessage(EventId = 24, EventName = "SecretConsumerFailed", Level = LogLevel.Error,
        Message = "A consumer of secret '{SecretName}' in {Vault} could not take its new value; the others did.")]
    public static partial void SecretConsumerFailed(ILogger logger, string secretName, Uri vault, Exception exception);

    [LoggerMessage(EventId = 25, EventName = "IdentitySecretRenewFailed", Level = LogLevel.Warning,
        Message = "The identity platform refused the client secret of connection '{Connection}', and reading it again from Key Vault failed: {ErrorType}: {ErrorMessage}")]
    public static partial void IdentitySecretRenewFailed(ILogger logger, string connection, string errorType, string errorMessage);

    [LoggerMessage(EventId = 26, EventName = "RetryWaiting", Level = LogLevel.Debug,
        Message = "{Count} failed connection(s); the next retry is due in {DelayMs:F0} ms.")]
    public static partial void RetryWaiting(ILogger logger, int count, double delayMs);

    [LoggerMessage(EventId = 30, EventName = "ConnectionsConfigured", Level = LogLevel.Information,
        Message = "Odibi connections: {Names}. Resolve them by these names: IAdlsConnections[\"name\"] or [FromKeyedServices(\"name\")].")]
    public static partial void ConnectionsConfigured(ILogger logger, string names);

    [LoggerMessage(EventId = 31, EventName = "ConnectionNotKeyed", Level = LogLevel.Warning,
        Message = "Connection '{Connection}' has no keyed services ([FromKeyedServices(\"{Connection}\")]): it was configured after AddOdibiConnections ran. Call AddOdibiConnections after every configuration source is added; IAdlsConnections[\"{Connection}\"] works either way.")]
    public static partial void ConnectionNotKeyed(ILogger logger, string connection);

    [LoggerMessage(EventId = 40, EventName = "KeyVaultReferenceSkipped", Level = LogLevel.Warning,
        Message = "Optional Key Vault reference at {Path} is absent from the configuration: {Reason}")]
    public static partial void KeyVaultReferenceSkipped(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 41, EventName = "KeyVaultReloadFailed", Level = LogLevel.Warning,
        Message = "Reloading {Count} Key Vault secrets of the configuration failed; the last values stay until a reload succeeds: {Reason}")]
    public static partial void KeyVaultReloadFailed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 42, EventName = "KeyVaultReloaded", Level = LogLevel.Information,
        Message = "Reloaded Key Vault secrets of the configuration: {Changed} of {Count} changed.")]
    public static partial void KeyVaultReloaded(ILogger logger, int changed, int count);

    [LoggerMessage(EventId = 43, EventName = "KeyVaultReloadRecovered", Level = LogLevel.Information,
        Message = "Reloading Key Vault secrets of the configuration succeeds again.")]
    public static partial void KeyVaultReloadRecovered(ILogger logger);
}
