using System.Diagnostics;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>
/// The plain SDK as an app uses it without this library: one credential, one <see cref="SecretClient"/> per vault with
/// the SDK's default options (its own retries), every secret asked for at once. Each vault challenges the first requests
/// the client sends it (the SDK asks for the token only after a challenge).
/// </summary>
internal sealed class PlainSdkStrategy : IFetchStrategy
{
    public string Name => "plain SDK";

    public async Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var credential = new CountingTokenCredential { TokenLatency = context.TokenLatency };
        var options = new SecretClientOptions();
        context.Server.ConfigureClientOptions(options);
        var clients = context.Connections.Select(c => c.VaultUri).Distinct()
            .ToDictionary(v => v, v => new SecretClient(v, credential, options));

        var stopwatch = Stopwatch.StartNew();
        var failures = await SecretReads.FailuresAtOnceAsync(context.Connections, c => clients[c.VaultUri]);
        stopwatch.Stop();
        return new StrategyOutcome(stopwatch.Elapsed, credential.Count, failures);
    }

    public TimeSpan Predict(Scenario scenario) => scenario.TokenLatency + (2 * Scenario.Latency);
}
