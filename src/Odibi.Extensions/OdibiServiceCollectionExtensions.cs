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
using Odibi.Extensions.Internal.References;
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
    /// Every overload also registers, keyed by each connection's name exactly as configured, the connection's
    /// <see cref="AdlsConnection"/>, <see cref="BlobServiceClient"/> and <see cref="BlobContainerClient"/> as singletons,
    /// e.g. <c>[FromKeyedServices("bronze")] BlobContainerClient bronze</c>. The names are read when this method runs, so
    /// call it after the configuration sources are added; a connection configured later is reachable through
    /// <see cref="IAdlsConnections"/> only, and the startup log says so. Any other key is left to other registrations
    /// (<c>GetKeyedService</c> returns <see langword="null"/> when there are none); the startup log lists the connection names.
    /// Resolving does no I/O: a Key Vault secret is read when a request is sent, so a request of a connection whose
    /// secret cannot be read fails with an error naming the connection, its vault and secret.
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
        var names = AppConfiguration(services) is { } appConfiguration
            ? ConnectionNames(appConfiguration.GetSection(OdibiOptions.SectionName))
            : [];
        return AddCore(services, names);
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
        return AddCore(services, ConnectionNames(section));
    }

    /// <summary>
    /// Registers the connections set by <paramref name="configure"/>, validated when the host starts. It also runs once
    /// here, on a scratch <see cref="OdibiOptions"/>, to learn the connection names for the keyed services.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the connections and settings in code.</param>
    /// <returns>A builder to set the credential or Key Vault client options.</returns>
    public static IOdibiConnectionsBuilder AddOdibiConnections(this IServiceCollection services, Action<OdibiOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        var scratch = new OdibiOptions();
        configure(scratch);
        return AddCore(services, scratch.Connections.Keys);
    }

    private static OdibiConnectionsBuilder AddCore(IServiceCollection services, IEnumerable<string> connectionNames)
    {
        services.AddLogging();
        services.AddMetrics();
        services.AddAzureClientsCore();
        services.AddOptions<OdibiOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OdibiOptions>, OdibiOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OdibiTelemetry>();
        // With AddKeyVaultReferences or AddKeyVaultSecrets on the same credential, their engine: one token, one read per secret.
        services.TryAddSingleton(static provider => SharedEngine(provider)?.Clients ?? ActivatorUtilities.CreateInstance<VaultClients>(provider));
        services.TryAddSingleton(static provider => SharedEngine(provider)?.Cache ?? ActivatorUtilities.CreateInstance<SecretCache>(provider));
        services.TryAddSingleton<StorageCredentialFactory>();
        services.TryAddSingleton<IdentityCredentials>();
        services.TryAddSingleton<ConnectionLifecycle>();
        services.TryAddSingleton<SecretPrefetcher>();
        services.TryAddSingleton<BlobClientFactory>();
        services.TryAddSingleton<StorageVerifier>();
        services.TryAddSingleton<ISecretSource, KeyVaultSecretSource>();
        services.TryAddSingleton<AdlsConnections>();
        services.TryAddSingleton<IAdlsConnections>(provider => provider.GetRequiredService<AdlsConnections>());
        services.TryAddSingleton<OdibiStartupService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OdibiStartupService>(provider => provider.GetRequiredService<OdibiStartupService>()));

        // One exact key per connection name, never KeyedService.AnyKey: any other key stays free for other libraries'
        // registrations of the same types, and GetKeyedService returns null for it.
        var keyed = KeyedConnectionNames(services);
        foreach (var name in connectionNames)
        {
            if (keyed.Names.Add(name))
            {
                services.TryAddKeyedSingleton(name, static (provider, key) => KeyedConnection(provider, key));
                services.TryAddKeyedSingleton(name, static (provider, key) => KeyedConnection(provider, key).CreateBlobServiceClient());
                services.TryAddKeyedSingleton(name, static (provider, key) => KeyedConnection(provider, key).GetBlobContainerClient());
            }
        }

        return new OdibiConnectionsBuilder(services);
    }

    private static KeyVaultEngine? SharedEngine(IServiceProvider provider) =>
        KeyVaultEngine.Find(provider.GetService<IConfiguration>(), provider.GetRequiredService<IOptions<OdibiClientSettings>>().Value);

    private static AdlsConnection KeyedConnection(IServiceProvider provider, object? key) =>
        provider.GetRequiredService<AdlsConnections>()[(string)key!];

    private static OdibiKeyedConnections KeyedConnectionNames(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(OdibiKeyedConnections) && !d.IsKeyedService)?.ImplementationInstance
            is OdibiKeyedConnections existing)
        {
            return existing;
        }

        var created = new OdibiKeyedConnections();
        services.AddSingleton(created);
        return created;
    }

    /// <summary>The connection names under <paramref name="section"/>'s <c>Connections</c>.</summary>
    private static List<string> ConnectionNames(IConfiguration section) =>
        [.. section.GetSection(nameof(OdibiOptions.Connections)).GetChildren().Select(c => c.Key)];

    /// <summary>
    /// The app's configuration as the host registered it: an instance, or a factory that needs no services (as
    /// <c>Host.CreateApplicationBuilder</c> and <c>WebApplication.CreateBuilder</c> register it).
    /// </summary>
    private static IConfiguration? AppConfiguration(IServiceCollection services)
    {
        var descriptor = services.LastOrDefault(d => d.ServiceType == typeof(IConfiguration) && !d.IsKeyedService);
        if (descriptor?.ImplementationInstance is IConfiguration instance)
        {
            return instance;
        }

        if (descriptor?.ImplementationFactory is { } factory)
        {
            try
            {
                return factory(NoServices.Instance) as IConfiguration;
            }
#pragma warning disable CA1031 // Whatever the factory throws without services, the names are just unknown here.
            catch (Exception)
#pragma warning restore CA1031
            {
                // The factory needs services: the names are unknown until the container exists (the startup log says so).
            }
        }

        return null;
    }

    /// <summary>A provider with no services, to call a configuration factory that ignores its provider.</summary>
    private sealed class NoServices : IServiceProvider
    {
        public static readonly NoServices Instance = new();

        public object? GetService(Type serviceType) =>
            throw new InvalidOperationException($"No service of type {serviceType} is available while the services are registered.");
    }
}
