using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>
/// <c>AddKeyVaultReferences</c> with its defaults: one configuration value per connection,
/// <c>@Microsoft.KeyVault(VaultName=…;SecretName=…)</c>, resolved when the reference source is added to a fresh
/// configuration manager (timed), through LocalKeyVault with a fresh counting credential of latency T.
/// </summary>
internal sealed class OdibiReferencesStrategy : IFetchStrategy
{
    public string Name => "Odibi references";

    public Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var credential = new CountingTokenCredential { TokenLatency = context.TokenLatency };
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(context.Connections.Select(c =>
            new KeyValuePair<string, string?>($"Refs:{c.Name}", $"@Microsoft.KeyVault(VaultName={c.VaultName};SecretName={c.SecretName})")));

        var stopwatch = Stopwatch.StartNew();
        var failures = 0;
        try
        {
            configuration.AddKeyVaultReferences(o =>
            {
                o.Credential = credential;
                o.ConfigureSecretClient = context.Server.ConfigureClientOptions;
            });
        }
        catch (KeyVaultReferenceException exception)
        {
            failures = exception.Failures.Count;
        }

        stopwatch.Stop();
        if (failures == 0)
        {
            failures = context.Connections.Count(c => configuration[$"Refs:{c.Name}"] != c.ExpectedValue);
        }
        ((IDisposable)configuration).Dispose();
        return Task.FromResult(new StrategyOutcome(stopwatch.Elapsed, credential.Count, failures));
    }

    public TimeSpan Predict(Scenario scenario) => scenario.Bound;
}
