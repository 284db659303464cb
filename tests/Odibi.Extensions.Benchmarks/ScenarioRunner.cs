using System.Security.Cryptography;
using Odibi.Extensions.Benchmarks.Strategies;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>The measured runs of one strategy in one scenario, or why there are none.</summary>
internal sealed record CellResult(Scenario Scenario, string Strategy, IReadOnlyList<Measurement> Runs, string? Skipped)
{
    public bool HasRuns => Runs.Count > 0;

    public double MedianMs => Median(Runs.Select(r => r.Elapsed.TotalMilliseconds));

    public double MinMs => Runs.Min(r => r.Elapsed.TotalMilliseconds);

    public double MaxMs => Runs.Max(r => r.Elapsed.TotalMilliseconds);

    public double Ratio => MedianMs / Scenario.Bound.TotalMilliseconds;

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>
/// Runs strategies against one <see cref="LocalKeyVault"/>. Every run gets fresh vault names (the SDK caches each vault
/// host's challenge process-wide, so every strategy pays its challenge on every run), its own secrets, and a garbage
/// collection before the clock starts.
/// </summary>
internal sealed class ScenarioRunner(LocalKeyVault server, BenchmarkSettings settings)
{
    private int _sequence;

    public async Task<CellResult> RunCellAsync(Scenario scenario, IFetchStrategy strategy)
    {
        var predicted = strategy.Predict(scenario);
        if (settings.MaxRunTime is { } limit && predicted > limit)
        {
            var reason = $"skipped: one run ≈ {predicted.TotalSeconds:F0} s (over --max-run-seconds {limit.TotalSeconds:F0})";
            Progress($"{scenario.Label,-60} {strategy.Name,-16} {reason}");
            return new CellResult(scenario, strategy.Name, [], reason);
        }

        var runs = predicted > settings.LongRunTime ? 1 : settings.Runs;
        var warmUps = predicted <= settings.WarmUpBelow ? 1 : 0;
        for (var i = 0; i < warmUps; i++)
        {
            await RunOnceAsync(scenario, strategy);
        }

        var measurements = new List<Measurement>(runs);
        for (var i = 0; i < runs; i++)
        {
            measurements.Add(await RunOnceAsync(scenario, strategy));
        }

        var cell = new CellResult(scenario, strategy.Name, measurements, null);
        Progress($"{scenario.Label,-60} {strategy.Name,-16} median {cell.MedianMs,7:F0} ms ({cell.MinMs:F0}–{cell.MaxMs:F0}), " +
                 $"bound {scenario.Bound.TotalMilliseconds:F0} ms, ×{cell.Ratio:F2}, tokens {string.Join('/', measurements.Select(m => m.TokenRequests).Distinct())}, " +
                 $"requests {string.Join('/', measurements.Select(m => m.VaultRequests).Distinct())}, 429s {measurements.Sum(m => m.Throttled)}, failures {measurements.Sum(m => m.Failures)}");
        return cell;
    }

    public async Task<Measurement> RunOnceAsync(Scenario scenario, IFetchStrategy strategy)
    {
        var id = Interlocked.Increment(ref _sequence);
        var vaults = Enumerable.Range(0, scenario.UsedVaults)
            .Select(v => server.Vault($"bm{id:x5}v{v}"))
            .ToArray();
        foreach (var vault in vaults)
        {
            vault.RequestsPerSecond = scenario.RequestsPerSecond;
        }

        var secrets = new (string Name, string Value)[scenario.Secrets];
        for (var s = 0; s < scenario.Secrets; s++)
        {
            secrets[s] = ($"secret-{s:D4}", Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)));
            vaults[scenario.VaultOf(s)].SetSecret(secrets[s].Name, secrets[s].Value);
        }

        var connections = new RunConnection[scenario.Connections];
        for (var c = 0; c < scenario.Connections; c++)
        {
            var s = scenario.SecretOf(c);
            var vault = vaults[scenario.VaultOf(s)];
            connections[c] = new RunConnection($"c{c:D4}", $"acct{c:D4}", vault.Name, scenario.VaultUri(vault), secrets[s].Name, secrets[s].Value);
        }

        server.ClearRequests();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var outcome = await strategy.RunAsync(new RunContext(server, connections, scenario.TokenLatency));

        var names = vaults.Select(v => v.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var requests = server.Requests.Where(r => r.VaultName is not null && names.Contains(r.VaultName)).ToList();
        var throttled = requests.Count(r => r.StatusCode == 429);
        if (settings.Timeline && scenario.Kind == ScenarioKind.RateBound)
        {
            PrintTimeline(scenario, strategy, requests);
        }
        var challenges = vaults.Sum(v => v.ChallengeCount);
        var vaultRequests = challenges + vaults.Sum(v => v.SecretRequestCount);
        for (var s = 0; s < scenario.Secrets; s++)
        {
            vaults[scenario.VaultOf(s)].DeleteSecret(secrets[s].Name);
        }

        return new Measurement(outcome.Elapsed, outcome.TokenRequests, vaultRequests, throttled, challenges, outcome.Failures);
    }

    private static void Progress(string line) => Console.Error.WriteLine(line);

    /// <summary>Prints, per 250 ms since the first request, the requests answered 200 and 429 (for <c>--timeline</c>).</summary>
    private static void PrintTimeline(Scenario scenario, IFetchStrategy strategy, List<LocalKeyVaultRequest> requests)
    {
        if (requests.Count == 0)
        {
            return;
        }

        var start = requests.Min(r => r.Timestamp);
        var buckets = requests.GroupBy(r => (int)((r.Timestamp - start).TotalMilliseconds / 250)).OrderBy(g => g.Key)
            .Select(g => $"{g.Key * 250}ms:{g.Count(r => r.StatusCode == 200)}/{g.Count(r => r.StatusCode == 429)}");
        Progress($"timeline {strategy.Name} {scenario.Label} (sent per 250 ms, answered 200/429): {string.Join(' ', buckets)}");
    }
}
