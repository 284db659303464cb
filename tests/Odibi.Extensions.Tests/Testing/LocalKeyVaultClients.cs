using Azure.Security.KeyVault.Secrets;

namespace Odibi.Extensions.Tests.Testing;

/// <summary>Client settings shared by the LocalKeyVault tests.</summary>
internal static class LocalKeyVaultClients
{
    /// <summary>Options with short retry delays, so retried answers do not slow the tests down.</summary>
    public static SecretClientOptions FastOptions(int maxRetries = 3)
    {
        return new SecretClientOptions
        {
            Retry =
            {
                MaxRetries = maxRetries,
                Delay = TimeSpan.FromMilliseconds(10),
                MaxDelay = TimeSpan.FromMilliseconds(100),
                NetworkTimeout = TimeSpan.FromSeconds(10),
            },
        };
    }

    /// <summary>A vault name no other test uses: the SDK caches bearer challenges per vault host for the whole process.</summary>
    public static string UniqueVaultName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
