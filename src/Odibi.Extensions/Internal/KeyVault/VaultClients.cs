using System.Collections.Concurrent;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>One shared credential, and one <see cref="SecretClient"/> (with its concurrency gate) per vault.</summary>
internal sealed class VaultClients
{
    private readonly ConcurrentDictionary<Uri, Lazy<VaultClient>> _clients = new();
    private readonly Lazy<SharedTokenCredential> _credential;
    private readonly OdibiClientSettings _settings;
    private readonly IOptions<OdibiOptions> _options;

    public VaultClients(IOptions<OdibiClientSettings> settings, IOptions<OdibiOptions> options, IServiceProvider services, TimeProvider time)
    {
        _settings = settings.Value;
        _options = options;
        _credential = new Lazy<SharedTokenCredential>(() => new SharedTokenCredential(CreateCredential(services), time));
    }

    /// <summary>Gets the credential every vault shares (built on first use).</summary>
    public SharedTokenCredential Credential => _credential.Value;

    public VaultClient Get(Uri vault) =>
        _clients.GetOrAdd(vault, uri => new Lazy<VaultClient>(() => Create(uri))).Value;

    private VaultClient Create(Uri vault)
    {
        var clientOptions = new SecretClientOptions();
        foreach (var configure in _settings.ConfigureSecretClient)
        {
            configure(clientOptions);
        }

        return new VaultClient(new SecretClient(vault, Credential, clientOptions), _options.Value.Prefetch.MaxConcurrency);
    }

    private TokenCredential CreateCredential(IServiceProvider services)
    {
        if (_settings.Credential is { } credential)
        {
            return credential;
        }

        // Microsoft.Extensions.Azure's keys (credential, clientId, tenantId, …); an empty section gives DefaultAzureCredential.
        var factory = services.GetRequiredService<AzureComponentFactory>();
        var section = _settings.CredentialSection ?? new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        return factory.CreateTokenCredential(section);
    }
}

internal sealed class VaultClient(SecretClient client, int maxConcurrency)
{
    public SecretClient Client { get; } = client;

    /// <summary>Caps the requests in flight to this vault.</summary>
    public SemaphoreSlim Gate { get; } = new(maxConcurrency, maxConcurrency);

    /// <summary>Set once a request has reached the vault with a token, so its challenge is cached.</summary>
    public bool Primed { get; set; }
}
