using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>
/// Odibi.Extensions with its default settings: a fresh service provider per run (so nothing is cached between runs),
/// the connections configured in code, <c>UseLocalKeyVault</c>, and a fresh counting credential with latency T.
/// Only <see cref="IAdlsConnections.PrefetchAsync"/> is timed; building the provider is not.
/// </summary>
internal sealed class OdibiPrefetchStrategy(int? maxConcurrency = null) : IFetchStrategy
{
    public string Name => maxConcurrency is int max ? $"Odibi MaxConcurrency={max}" : "Odibi";

    public async Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var credential = new CountingTokenCredential { TokenLatency = context.TokenLatency };
        var services = new ServiceCollection();
        services.AddOdibiConnections(options =>
            {
                if (maxConcurrency is int max)
                {
                    options.Prefetch.MaxConcurrency = max;
                }

                foreach (var connection in context.Connections)
                {
                    options.Connections[connection.Name] = new AdlsConnectionOptions
                    {
                        Account = connection.Account,
                        Container = "data",
                        AuthMode = AdlsAuthMode.KeyVault,
                        KeyVaultName = connection.KeyVaultName,
                        SecretName = connection.SecretName,
                    };
                }
            })
            .UseLocalKeyVault(context.Server)
            .UseCredential(credential);

        await using var provider = services.BuildServiceProvider();
        var connections = provider.GetRequiredService<IAdlsConnections>();

        var stopwatch = Stopwatch.StartNew();
        var report = await connections.PrefetchAsync();
        stopwatch.Stop();

        var failures = report.Failed;
        var tokens = credential.Count;
        if (report.Results.Count != context.Connections.Count)
        {
            failures += Math.Abs(context.Connections.Count - report.Results.Count);
        }

        // Read back from the cache (no request) to check every value.
        foreach (var expected in context.Connections)
        {
            var connection = connections[expected.Name];
            if (connection.Status == ConnectionStatus.Ready && await connection.GetStorageKeyAsync() != expected.ExpectedValue)
            {
                failures++;
            }
        }

        return new StrategyOutcome(stopwatch.Elapsed, tokens, failures);
    }

    public TimeSpan Predict(Scenario scenario)
    {
        var limit = maxConcurrency ?? 64;
        var waves = (scenario.MostSecretsInOneVault + limit - 1) / limit;
        return scenario.TokenLatency + Scenario.Latency + (waves * Scenario.Latency);
    }
}
