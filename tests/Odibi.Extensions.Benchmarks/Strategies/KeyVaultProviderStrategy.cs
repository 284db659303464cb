using System.Diagnostics;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>
/// The Key Vault configuration provider's strategy (<c>AddAzureKeyVault</c>, Azure.Extensions.AspNetCore.Configuration.Secrets),
/// re-implemented as it loads: per vault, one after another (each source loads when the configuration is built), one
/// <see cref="SecretClient"/> with the SDK's default options (3 retries), list every secret's properties (pages of 25),
/// then GET every enabled one, 32 at a time. One credential for the app, so one token per vault's client.
/// </summary>
internal sealed class KeyVaultProviderStrategy : IFetchStrategy
{
    private const int Parallelism = 32;

    public string Name => "AddAzureKeyVault-style";

    public async Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var credential = new CountingTokenCredential { TokenLatency = context.TokenLatency };
        var options = new SecretClientOptions();
        context.Server.ConfigureClientOptions(options);
        var expected = context.Connections.GroupBy(c => c.VaultName, StringComparer.OrdinalIgnoreCase).ToList();
        var failures = 0;

        var stopwatch = Stopwatch.StartNew();
        foreach (var vault in expected)
        {
            var client = new SecretClient(context.Server.GetVaultUri(vault.Key), credential, options);
            try
            {
                var names = new List<string>();
                await foreach (var properties in client.GetPropertiesOfSecretsAsync())
                {
                    if (properties.Enabled != false)
                    {
                        names.Add(properties.Name);
                    }
                }

                using var gate = new SemaphoreSlim(Parallelism);
                var values = await Task.WhenAll(names.Select(async name =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        return (name, (await client.GetSecretAsync(name)).Value.Value);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
                var loaded = values.ToDictionary(v => v.name, v => v.Value, StringComparer.OrdinalIgnoreCase);
                failures += vault.Count(c => !loaded.TryGetValue(c.SecretName, out var value) || value != c.ExpectedValue);
            }
            catch (Exception exception) when (exception is Azure.RequestFailedException or Azure.Identity.AuthenticationFailedException)
            {
                failures += vault.Count(); // one failure fails the whole load
            }
        }

        stopwatch.Stop();
        return new StrategyOutcome(stopwatch.Elapsed, credential.Count, failures);
    }

    public TimeSpan Predict(Scenario scenario) =>
        (scenario.UsedVaults * (scenario.TokenLatency + (2 * Scenario.Latency)))
        + (scenario.Secrets / 25 * Scenario.Latency)
        + (((scenario.Secrets + Parallelism - 1) / Parallelism) * Scenario.Latency);
}
