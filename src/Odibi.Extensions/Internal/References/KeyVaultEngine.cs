using System.Runtime.CompilerServices;
using Azure.Core;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// The Key Vault engine of configuration sources — one shared credential, one client and gate per vault, one cache of
/// secrets — kept per configuration builder, so that every Key Vault source of a builder with the same
/// credential shares it, and found again by <c>AddOdibiConnections</c> through the built configuration's providers, so
/// that connections with the same credential share it too: one token, one read per distinct secret.
/// </summary>
internal sealed class KeyVaultEngine
{
    // Not in the builder's Properties: a configuration manager rebuilds every source when they change.
    private static readonly ConditionalWeakTable<IConfigurationBuilder, List<KeyVaultEngine>> Builders = new();

    private KeyVaultEngine(TokenCredential credential, bool fromConfiguration, KeyVaultConfigurationOptions options)
    {
        Credential = credential;
        FromConfiguration = fromConfiguration;
        Log = new DeferredLogger(options.LoggerFactory);
        var settings = new OdibiClientSettings { Credential = credential };
        if (options.ConfigureSecretClient is { } configure)
        {
            settings.ConfigureSecretClient.Add(configure);
        }

        var odibi = Options.Create(new OdibiOptions { Prefetch = { FetchTimeout = options.FetchTimeout } });
        Clients = new VaultClients(Options.Create(settings), odibi, EmptyServices.Instance, options.TimeProvider);
        Cache = new SecretCache(Clients, odibi, options.TimeProvider);
    }

    /// <summary>Gets the app's credential (before sharing).</summary>
    public TokenCredential Credential { get; }

    /// <summary>Gets whether the credential was built from configuration (<c>Odibi:Credential</c>) rather than given in code.</summary>
    public bool FromConfiguration { get; }

    public VaultClients Clients { get; }

    public SecretCache Cache { get; }

    public DeferredLogger Log { get; }

    /// <summary>The engine of <paramref name="builder"/> for <paramref name="options"/>' credential, created on first use.</summary>
    public static KeyVaultEngine For(IConfigurationBuilder builder, KeyVaultConfigurationOptions options, IConfiguration earlier)
    {
        var engines = Builders.GetValue(builder, static _ => []);
        lock (engines)
        {
            var engine = engines.FirstOrDefault(e => options.Credential is null ? e.FromConfiguration : ReferenceEquals(e.Credential, options.Credential));
            if (engine is null)
            {
                var credential = options.Credential ?? ConfiguredCredential(earlier.GetSection($"{OdibiOptions.SectionName}:Credential"));
                engine = new KeyVaultEngine(credential, options.Credential is null, options);
                engines.Add(engine);
            }

            return engine;
        }
    }

    /// <summary>
    /// The engine of a Key Vault source in <paramref name="configuration"/> whose credential is the one
    /// <paramref name="settings"/> gives the connections (the same instance, or both from configuration); otherwise null.
    /// </summary>
    public static KeyVaultEngine? Find(IConfiguration? configuration, OdibiClientSettings settings) =>
        Engines(configuration).FirstOrDefault(e => settings.Credential is null ? e.FromConfiguration : ReferenceEquals(e.Credential, settings.Credential));

    /// <summary>Passes the app's logging on to every Key Vault source of <paramref name="configuration"/> that has none.</summary>
    public static void AttachLogging(IConfiguration? configuration, ILoggerFactory factory)
    {
        foreach (var engine in Engines(configuration))
        {
            engine.Log.Attach(factory);
        }
    }

    private static IEnumerable<KeyVaultEngine> Engines(IConfiguration? configuration) =>
        configuration is IConfigurationRoot root
            ? root.Providers.OfType<KeyVaultConfigurationProvider>().Select(p => p.Engine).Distinct()
            : [];

    /// <summary>Microsoft.Extensions.Azure's credential keys (credential, clientId, tenantId, …); an empty section gives DefaultAzureCredential.</summary>
    private static TokenCredential ConfiguredCredential(IConfigurationSection section)
    {
        var collection = new ServiceCollection();
        collection.AddAzureClientsCore();
        using var services = collection.BuildServiceProvider();
        return services.GetRequiredService<AzureComponentFactory>().CreateTokenCredential(section);
    }

    /// <summary>No services: the engine always hands <see cref="VaultClients"/> its credential.</summary>
    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
