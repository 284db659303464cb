using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Azure.Storage.Blobs;
using Odibi.Extensions;
using Odibi.Extensions.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures the Key Vault and storage clients of the connections registered by <c>AddOdibiConnections</c>.</summary>
public static class OdibiConnectionsBuilderExtensions
{
    /// <summary>
    /// Uses <paramref name="credential"/> to read Key Vault, instead of the one built from <c>Odibi:Credential</c> (or the
    /// default <c>DefaultAzureCredential</c>). <see cref="AdlsAuthMode.ManagedIdentity"/> connections without a
    /// <c>ClientId</c> use it for storage too; see <see cref="UseStorageCredential"/> for the others.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOdibiConnections</c>.</param>
    /// <param name="credential">The credential shared by all vaults.</param>
    /// <returns>The same builder.</returns>
    public static IOdibiConnectionsBuilder UseCredential(this IOdibiConnectionsBuilder builder, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(credential);
        builder.Services.Configure<OdibiClientSettings>(settings => settings.Credential = credential);
        return builder;
    }

    /// <summary>
    /// Uses <paramref name="credential"/> for the storage requests of every <see cref="AdlsAuthMode.ManagedIdentity"/> and
    /// <see cref="AdlsAuthMode.ServicePrincipal"/> connection (tests, special clouds), instead of the default rule: a
    /// service principal signs in as its own <c>TenantId</c> / <c>ClientId</c> with its client secret; a managed identity
    /// with a <c>ClientId</c> is that user-assigned identity; a managed identity without one uses the app's credential
    /// (<see cref="UseCredential"/>, <c>Odibi:Credential</c>, or <c>DefaultAzureCredential</c>).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOdibiConnections</c>.</param>
    /// <param name="credential">The credential every identity-based connection uses for storage.</param>
    /// <returns>The same builder.</returns>
    public static IOdibiConnectionsBuilder UseStorageCredential(this IOdibiConnectionsBuilder builder, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(credential);
        builder.Services.Configure<OdibiClientSettings>(settings => settings.StorageCredential = credential);
        return builder;
    }

    /// <summary>
    /// Adjusts the options of every <see cref="SecretClient"/> the connections use (transport, diagnostics, network
    /// timeout). Callbacks run in the order they were added. Retries are the library's own: each read retries 429, 408,
    /// 5xx and dropped connections with jittered back-off until <c>Odibi:Prefetch:FetchTimeout</c>, so a
    /// <c>Retry</c> or <c>RetryPolicy</c> set here is replaced.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOdibiConnections</c>.</param>
    /// <param name="configure">Changes the options before each vault's client is created.</param>
    /// <returns>The same builder.</returns>
    public static IOdibiConnectionsBuilder ConfigureSecretClient(this IOdibiConnectionsBuilder builder, Action<SecretClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<OdibiClientSettings>(settings => settings.ConfigureSecretClient.Add(configure));
        return builder;
    }

    /// <summary>
    /// Adjusts the options of every <see cref="BlobServiceClient"/> the connections create (retries, transport, diagnostics).
    /// Callbacks run in the order they were added, before the connection's own key-rotation policy is added.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOdibiConnections</c>.</param>
    /// <param name="configure">Changes the options before each connection's client is created.</param>
    /// <returns>The same builder.</returns>
    public static IOdibiConnectionsBuilder ConfigureBlobClient(this IOdibiConnectionsBuilder builder, Action<BlobClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<OdibiClientSettings>(settings => settings.ConfigureBlobClient.Add(configure));
        return builder;
    }
}
