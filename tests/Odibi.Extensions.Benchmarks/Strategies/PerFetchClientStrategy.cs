using System.Diagnostics;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>
/// odibi 1.2's <c>configure_connections_parallel(max_workers=5)</c>: five workers, and for every fetch a new credential
/// (which pays the token latency T, as <c>DefaultAzureCredential</c>'s discovery does) and a new <see cref="SecretClient"/>.
/// The Key Vault challenge is cached per vault host process-wide by the SDK (as by the Python SDK), so only the first
/// fetches to each vault are challenged.
/// </summary>
internal sealed class PerFetchClientStrategy : IFetchStrategy
{
    public const int Workers = 5;

    public string Name => "odibi-1.2-style";

    public async Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var options = new SecretClientOptions();
        context.Server.ConfigureClientOptions(options);
        var failures = 0;
        var tokens = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Workers };

        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(context.Connections, parallel, async (connection, cancellationToken) =>
        {
            var credential = new CountingTokenCredential { TokenLatency = context.TokenLatency };
            var client = new SecretClient(connection.VaultUri, credential, options);
            try
            {
                if (await SecretReads.FailsAsync(client, connection, cancellationToken))
                {
                    Interlocked.Increment(ref failures);
                }
            }
            finally
            {
                Interlocked.Add(ref tokens, credential.Count);
            }
        });

        stopwatch.Stop();
        return new StrategyOutcome(stopwatch.Elapsed, tokens, failures);
    }

    public TimeSpan Predict(Scenario scenario) =>
        (((scenario.Connections + Workers - 1) / Workers) * (scenario.TokenLatency + Scenario.Latency)) + Scenario.Latency;
}
