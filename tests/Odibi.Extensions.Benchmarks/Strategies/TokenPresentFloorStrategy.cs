using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>
/// The floor a client library can reach: one <see cref="SecretClient"/> per vault whose pipeline asks the credential for
/// the token at t = 0 and puts it on every request, every GET sent at once, no gate, no cache, no retries. A token, then
/// one round trip (T + L), plus what the machine pays to open the connections.
/// </summary>
internal sealed class TokenPresentFloorStrategy : IFetchStrategy
{
    public string Name => "floor";

    public async Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var credential = new CountingTokenCredential { TokenLatency = context.TokenLatency };

        var stopwatch = Stopwatch.StartNew();
        var token = credential.GetTokenAsync(new TokenRequestContext(["https://vault.azure.net/.default"], isCaeEnabled: true), CancellationToken.None).AsTask();
        var options = new SecretClientOptions();
        options.AddPolicy(new TokenOnEveryRequest(token), HttpPipelinePosition.PerRetry);
        context.Server.ConfigureClientOptions(options);
        var clients = context.Connections.Select(c => c.VaultName).Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(v => v, v => new SecretClient(context.Server.GetVaultUri(v), credential, options), StringComparer.OrdinalIgnoreCase);
        var failures = await SecretReads.FailuresAtOnceAsync(context.Connections, c => clients[c.VaultName]);
        stopwatch.Stop();
        return new StrategyOutcome(stopwatch.Elapsed, credential.Count, failures);
    }

    public TimeSpan Predict(Scenario scenario) => scenario.Bound;

    /// <summary>Puts the one token on every request the SDK sends without one.</summary>
    private sealed class TokenOnEveryRequest(Task<AccessToken> token) : HttpPipelinePolicy
    {
        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (!message.Request.Headers.Contains(HttpHeader.Names.Authorization))
            {
                message.Request.Headers.SetValue(HttpHeader.Names.Authorization, "Bearer " + (await token.ConfigureAwait(false)).Token);
            }

            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
    }
}
