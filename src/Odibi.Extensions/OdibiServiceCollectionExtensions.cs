using Azure.Storage.Blobs;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Odibi.Extensions;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.Storage;
using Odibi.Extensions.Internal.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Odibi storage connections in an <see cref="IServiceCollection"/>.</summary>
public static class OdibiServiceCollectionExtensions
{
    /// <summary>
    /// Registers the connections of the <c>Odibi</c> section of the app's <see cref="IConfiguration"/>, validated when the
    /// host starts, and the startup prefetch of their Key Vault secrets. Calling it again adds nothing twice.
    /// </summary>
    /// <remarks>
    /// Every overload also registers, keyed by connection name (case-insensitive), each connection's <see cref="AdlsConnection"/>,
    /// <see cref="BlobServiceClient"/> and <see cref="BlobContainerClient"/> as singletons, e.g.
    /// <c>[FromKeyedServices("bronze")] BlobContainerClient bronze</c>. Resolving does no I/O: a Key Vault secret is read
    /// when a request is sent, so a request of a connection whose secret cannot be read fails with an error naming the
    /// connection, its vault and secret. An unknown name throws <see cref="KeyNotFoundException"/> listing the configured
    /// names, even from <c>GetKeyedService</c>.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder to set the credential or Key Vault client options.</returns>
    public static IOdibiConnectionsBuilder AddOdibiConnections(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<OdibiOptions>()
            .Configure<IConfiguration>((options, configuration) =>
                OdibiConfigurationReader.Read(configuration.GetSection(OdibiOptions.SectionName), options, configuration as IConfigurationRoot));
        services.AddOptions<OdibiClientSettings>()
            .Configure<IConfiguration>((settings, configuration) =>
                settings.CredentialSection ??= configuration.GetSection($"{OdibiOptions.SectionName}:Credential"));
        return AddCore(services);
    }

    /// <summary>
    /// Registers the connections read from <paramref name="configuration"/>: a configuration root (its <c>Odibi</c>
    /// section is read) or the section itself. Calling it again adds nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration root, or the section holding <c>Connections</c>.</param>
    /// <returns>A builder to set the credential or Key Vault client options.</returns>
    public static IOdibiConnectionsBuilder AddOdibiConnections(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = OdibiConfigurationReader.SelectSection(configuration);
        services.AddOptions<OdibiOptions>().Configure(options => OdibiConfigurationReader.Read(section, options, configuration as IConfigurationRoot));
        services.Configure<OdibiClientSettings>(settings => settings.CredentialSection ??= section.GetSection("Credential"));
        return AddCore(services);
    }

    /// <summary>Registers the connections set by <paramref name="configure"/>, validated when the host starts.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the connections and settings in code.</param>
    /// <returns>A builder to set the credential or Key Vault client options.</returns>
    public static IOdibiConnectionsBuilder AddOdibiConnections(this IServiceCollection services, Action<OdibiOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return AddCore(services);
    }

    private static OdibiConnectionsBuilder AddCore(IServiceCollection services)
    {
        services.AddLogging();
        services.AddMetrics();
        services.AddAzureClientsCore();
        services.AddOptions<OdibiOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OdibiOptions>, OdibiOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OdibiTelemetry>();
        services.TryAddSingleton<VaultClients>();
        services.TryAddSingleton<SecretCache>();
        services.TryAddSingleton<StorageCredentialFactory>();
        services.TryAddSingleton<SecretPrefetcher>();
        services.TryAddSingleton<BlobClientFactory>();
        services.TryAddSingleton<StorageVerifier>();
        services.TryAddSingleton<ISecretSource, KeyVaultSecretSource>();
        services.TryAddSingleton<AdlsConnections>();
        services.TryAddSingleton<IAdlsConnections>(provider => provider.GetRequiredService<AdlsConnections>());
        services.TryAddSingleton<OdibiStartupService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OdibiStartupService>(provider => provider.GetRequiredService<OdibiStartupService>()));

        // Connection names are known only once the options bind, so one registration per type serves every key.
        services.TryAddKeyedSingleton(KeyedService.AnyKey, static (provider, key) => KeyedConnection(provider, key));
        services.TryAddKeyedSingleton(KeyedService.AnyKey, static (provider, key) => KeyedConnection(provider, key).CreateBlobServiceClient());
        services.TryAddKeyedSingleton(KeyedService.AnyKey, static (provider, key) => KeyedConnection(provider, key).GetBlobContainerClient());
        return new OdibiConnectionsBuilder(services);
    }

    private static AdlsConnection KeyedConnection(IServiceProvider provider, object? key) => key is string name
        ? provider.GetRequiredService<AdlsConnections>()[name]
        : throw new KeyNotFoundException(
            $"Odibi connections are keyed by their name (a string, as under Odibi:Connections); the key '{key}' is a {key?.GetType().Name ?? "null"}.");
}
