using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>One shared credential, and one <see cref="SecretClient"/> with its <see cref="VaultGate"/> per vault.</summary>
internal sealed class VaultClients
{
    private readonly ConcurrentDictionary<Uri, Lazy<VaultClient>> _clients = new();
    private readonly Lazy<SharedTokenCredential> _credential;
    private readonly OdibiClientSettings _settings;
    private readonly IOptions<OdibiOptions> _options;
    private readonly TimeProvider _time;

    public VaultClients(IOptions<OdibiClientSettings> settings, IOptions<OdibiOptions> options, IServiceProvider services, TimeProvider time, RetryTiming? timing = null)
    {
        _settings = settings.Value;
        _options = options;
        _time = time;
        Timing = timing ?? RetryTiming.Default;
        _credential = new Lazy<SharedTokenCredential>(() => new SharedTokenCredential(CreateCredential(services), options.Value.Prefetch.FetchTimeout, time, Timing));
    }

    /// <summary>Gets the credential every vault shares (built on first use).</summary>
    public SharedTokenCredential Credential => _credential.Value;

    /// <summary>Gets the back-off delays of every vault.</summary>
    public RetryTiming Timing { get; }

    public VaultClient Get(Uri vault) =>
        _clients.GetOrAdd(vault, uri => new Lazy<VaultClient>(() => Create(uri))).Value;

    private VaultClient Create(Uri vault)
    {
        // Decided from the configured vault URI, trusted configuration, never from where a request ends up going.
        var preAuthorization = PreAuthorization.For(vault, Credential);
        var gate = new VaultGate(_options.Value.Prefetch.MaxConcurrency, Timing, _time, primed: preAuthorization is not null);
        var clientOptions = new SecretClientOptions();
        if (preAuthorization is not null)
        {
            clientOptions.AddPolicy(preAuthorization, HttpPipelinePosition.PerRetry); // after the SDK's challenge policy
        }
        else
        {
            clientOptions.AddPolicy(new EarlyToken(vault, Credential), HttpPipelinePosition.PerRetry);
        }

        clientOptions.AddPolicy(gate.Observer, HttpPipelinePosition.PerRetry);
        foreach (var configure in _settings.ConfigureSecretClient)
        {
            configure(clientOptions);
        }

        // Retries are SecretCache's, through the gate and until the secret's FetchTimeout; one attempt per SDK call.
        clientOptions.RetryPolicy = new RetryPolicy(maxRetries: 0);
        return new VaultClient(new SecretClient(vault, Credential, clientOptions), gate, preAuthorization);
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
