using System.Diagnostics;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Benchmarks.Strategies;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.Prototype;

/// <summary>
/// The library's prefetch re-built on public APIs (one single-flight credential, one client per vault, each distinct
/// secret once, one priming request per vault and the rest released when the token is requested), with the per-vault
/// limit changed: an <see cref="AdaptiveConcurrencyLimiter"/> held per attempt instead of a fixed semaphore held per call,
/// optionally with a fixed cap on calls in progress (attempts plus calls waiting out a Retry-After), <c>callCap</c>.
/// </summary>
internal sealed class AdaptivePrefetchPrototype(string name, int max, double decrease, int? callCap = null) : IFetchStrategy
{
    public string Name => name;

    public async Task<StrategyOutcome> RunAsync(RunContext context)
    {
        var counting = new CountingTokenCredential { TokenLatency = context.TokenLatency };
        var credential = new SingleFlightCredential(counting);
        var secrets = context.Connections
            .Select(c => (c.VaultName, c.SecretName))
            .Distinct()
            .ToList();
        var expected = context.Connections
            .DistinctBy(c => (c.VaultName, c.SecretName))
            .ToDictionary(c => (c.VaultName, c.SecretName), c => c.ExpectedValue);

        var stopwatch = Stopwatch.StartNew();
        var tasks = new List<Task<bool>>();
        foreach (var vault in secrets.GroupBy(s => s.VaultName))
        {
            var options = new SecretClientOptions();
            context.Server.ConfigureClientOptions(options);
            options.AddPolicy(new ConcurrencyLimitPolicy(new AdaptiveConcurrencyLimiter(max, decrease)), HttpPipelinePosition.PerRetry);
            var client = new SecretClient(context.Server.GetVaultUri(vault.Key), credential, options);
            var calls = callCap is int cap ? new SemaphoreSlim(cap, cap) : null;
            var keys = vault.ToList();

            var tokenRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var first = PrimeAsync(client, calls, keys[0].SecretName, expected[keys[0]], tokenRequested);
            tasks.Add(first);
            var release = Task.WhenAny(tokenRequested.Task, first);
            foreach (var key in keys.Skip(1))
            {
                tasks.Add(AfterAsync(release, client, calls, key.SecretName, expected[key]));
            }
        }

        var results = await Task.WhenAll(tasks);
        stopwatch.Stop();
        var failures = results.Count(ok => !ok);
        return new StrategyOutcome(stopwatch.Elapsed, counting.Count, failures);
    }

    public TimeSpan Predict(Scenario scenario) => BenchmarkPlan.Odibi.Predict(scenario);

    private static async Task<bool> PrimeAsync(SecretClient client, SemaphoreSlim? calls, string secret, string expected, TaskCompletionSource tokenRequested)
    {
        SingleFlightCredential.Watch(tokenRequested);
        return await FetchAsync(client, calls, secret, expected);
    }

    private static async Task<bool> AfterAsync(Task release, SecretClient client, SemaphoreSlim? calls, string secret, string expected)
    {
        await release;
        return await FetchAsync(client, calls, secret, expected);
    }

    private static async Task<bool> FetchAsync(SecretClient client, SemaphoreSlim? calls, string secret, string expected)
    {
        if (calls is not null)
        {
            await calls.WaitAsync();
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            KeyVaultSecret value = await client.GetSecretAsync(secret, cancellationToken: timeout.Token);
            return value.Value == expected;
        }
        catch (Exception exception) when (exception is Azure.RequestFailedException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            calls?.Release();
        }
    }
}
