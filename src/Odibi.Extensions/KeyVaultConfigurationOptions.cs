using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;

namespace Odibi.Extensions;

/// <summary>
/// Settings shared by <see cref="KeyVaultReferenceOptions"/> and <see cref="KeyVaultSecretsOptions"/>. The timeouts and
/// the reload interval can also come from configuration (<c>Odibi:KeyVaultReferences</c>, in the sources added before);
/// what code sets wins.
/// </summary>
public abstract class KeyVaultConfigurationOptions
{
    /// <summary>
    /// Gets or sets the credential. The default is the one <c>Odibi:Credential</c> describes in the configuration built so
    /// far (Microsoft.Extensions.Azure's keys), else <c>DefaultAzureCredential</c>, as for connections. With the same
    /// credential as <c>AddOdibiConnections</c> (the same instance, or both from configuration), the two share one token
    /// and one read of each secret.
    /// </summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>Gets or sets a change to each vault's <see cref="SecretClientOptions"/> (a proxy, a transport, diagnostics).</summary>
    public Action<SecretClientOptions>? ConfigureSecretClient { get; set; }

    /// <summary>Gets or sets the wall-clock bound of one secret's read, retries included.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the wall-clock bound of reading every secret when the configuration is built.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets how often the secrets are read again in the background; the configuration's reload token fires only
    /// when a value changed. A failed reload keeps the last good values and logs a warning, once until a reload succeeds.
    /// </summary>
    /// <value>The default is <see langword="null"/>: read once.</value>
    public TimeSpan? ReloadInterval { get; set; }

    /// <summary>
    /// Gets or sets where the background reloads and optional references log. When <see langword="null"/>, the logs wait
    /// (the most recent 32) for <c>AddOdibiConnections</c>' host to start, which passes its logging on.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets the clock of the reloads and timeouts.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
