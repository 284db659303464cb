using System.Diagnostics;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>
/// The Python original's "old way": one credential, one <see cref="SecretClient"/> per vault, each connection's secret
/// read one after another. Each client has its own token cache, so the credential is asked once per vault.
/// </summary>
internal sealed class SequentialStrategy : IFetchStrategy
{
    public string Name => "sequential";

    public async Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var credential = new CountingTokenCredential { TokenLatency = context.TokenLatency };
        var options = new SecretClientOptions();
        context.Server.ConfigureClientOptions(options);
        var clients = new Dictionary<string, SecretClient>(StringComparer.OrdinalIgnoreCase);
        var failures = 0;

        var stopwatch = Stopwatch.StartNew();
        foreach (var connection in context.Connections)
        {
            if (!clients.TryGetValue(connection.VaultName, out var client))
            {
                client = new SecretClient(connection.VaultUri, credential, options);
                clients.Add(connection.VaultName, client);
            }

            try
            {
                KeyVaultSecret secret = await client.GetSecretAsync(connection.SecretName);
                failures += secret.Value == connection.ExpectedValue ? 0 : 1;
            }
            catch (Exception exception) when (exception is Azure.RequestFailedException or Azure.Identity.AuthenticationFailedException or OperationCanceledException)
            {
                failures++;
            }
        }

        stopwatch.Stop();
        return new StrategyOutcome(stopwatch.Elapsed, credential.Count, failures);
    }

    public TimeSpan Predict(Scenario scenario) =>
        (scenario.UsedVaults * (scenario.TokenLatency + Scenario.Latency)) + (scenario.Connections * Scenario.Latency);
}
