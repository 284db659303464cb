using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
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
    private readonly TimeProvider _time;

    public VaultClients(IOptions<OdibiClientSettings> settings, IOptions<OdibiOptions> options, IServiceProvider services, TimeProvider time)
    {
        _settings = settings.Value;
        _options = options;
        _time = time;
        _credential = new Lazy<SharedTokenCredential>(() => new SharedTokenCredential(CreateCredential(services), time));
    }

    /// <summary>Gets the credential every vault shares (built on first use).</summary>
    public SharedTokenCredential Credential => _credential.Value;

    public VaultClient Get(Uri vault) =>
        _clients.GetOrAdd(vault, uri => new Lazy<VaultClient>(() => Create(uri))).Value;

    private VaultClient Create(Uri vault)
    {
        var maxConcurrency = _options.Value.Prefetch.MaxConcurrency;
        var limiter = new AdaptiveConcurrencyLimiter(maxConcurrency, _time);
        var clientOptions = new SecretClientOptions();
        clientOptions.AddPolicy(new VaultConcurrencyPolicy(limiter), HttpPipelinePosition.PerRetry);
        foreach (var configure in _settings.ConfigureSecretClient)
        {
            configure(clientOptions);
        }

        return new VaultClient(new SecretClient(vault, Credential, clientOptions), limiter, maxConcurrency);
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

internal sealed class VaultClient(SecretClient client, AdaptiveConcurrencyLimiter limiter, int maxConcurrency)
{
    public SecretClient Client { get; } = client;

    /// <summary>Caps the requests in flight to this vault, each attempt (adapting to 429s, up to <c>MaxConcurrency</c>).</summary>
    public AdaptiveConcurrencyLimiter Limiter { get; } = limiter;

    /// <summary>
    /// Caps the calls under way to this vault at 1.5 × <c>MaxConcurrency</c>: calls waiting out a Retry-After hold no
    /// request slot, and this keeps their number from turning into a storm of 429s when they all come back.
    /// </summary>
    public SemaphoreSlim Gate { get; } = new(CallCap(maxConcurrency), CallCap(maxConcurrency));

    /// <summary>Set once a request has reached the vault with a token, so its challenge is cached.</summary>
    public bool Primed { get; set; }

    private static int CallCap(int maxConcurrency) => (int)Math.Ceiling(maxConcurrency * 1.5);
}
