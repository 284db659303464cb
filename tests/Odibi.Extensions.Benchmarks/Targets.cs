using System.Globalization;

namespace Odibi.Extensions.Benchmarks;

/// <summary>One target of the issue, measured. Count targets fail the run; timing targets are reported.</summary>
internal sealed record TargetCheck(string Target, string Measured, bool Met, bool IsCount);

/// <summary>Checks the measured cells against the targets.</summary>
internal static class Targets
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IReadOnlyList<TargetCheck> Evaluate(IReadOnlyList<CellResult> cells, HostOverheadResult? host, bool requireOdibiEverywhere)
    {
        var checks = new List<TargetCheck>();
        var odibi = cells.Where(c => c.Strategy == BenchmarkPlan.Odibi.Name && c.HasRuns).ToList();
        var references = cells.Where(c => c.Strategy == BenchmarkPlan.References.Name && c.HasRuns).ToList();
        if (requireOdibiEverywhere)
        {
            var scenarios = cells.Select(c => c.Scenario).Where(s => s.Kind != ScenarioKind.References).Distinct().Count();
            checks.Add(new TargetCheck("Odibi completed every scenario", $"{odibi.Count} of {scenarios} scenarios", scenarios > 0 && odibi.Count == scenarios, IsCount: true));
        }

        AddRatio(checks, odibi.Where(c => c.Scenario.Kind == ScenarioKind.LatencyBound).ToList(), 1.15, "Latency-bound: Odibi ≤ 1.15 × bound");
        AddRatio(checks, odibi.Where(c => c.Scenario.Kind == ScenarioKind.RateBound).ToList(), 1.25, "Rate-bound: Odibi ≤ 1.25 × bound");

        AddRatio(checks, references, 1.15, "References: Odibi ≤ 1.15 × bound");
        if (references.Count > 0)
        {
            var runs = references.SelectMany(c => c.Runs.Select(r => (c.Scenario, Run: r))).ToList();
            var bad = runs.Where(x => x.Run.Failures != 0 || x.Run.TokenRequests != 1 || x.Run.Challenges != 0
                                      || x.Run.VaultRequests != x.Scenario.Secrets + x.Run.Throttled).ToList();
            checks.Add(new TargetCheck("References: 0 failures, 1 token, one GET per secret (+ 429s), no challenge",
                bad.Count == 0
                    ? $"exact in each of {runs.Count} loads"
                    : $"{bad.Count} of {runs.Count} loads differ, e.g. {bad[0].Run.Failures} failures, {bad[0].Run.TokenRequests} tokens, {bad[0].Run.VaultRequests} requests in {bad[0].Scenario.Label}",
                bad.Count == 0, IsCount: true));
        }

        AddFloor(checks, cells, 1.10);
        AddPlainSdk(checks, cells, 1.10);
        AddSpeedup(checks, cells, BenchmarkPlan.Sequential.Name, 4, TimeSpan.Zero, 2.3);
        AddSpeedup(checks, cells, BenchmarkPlan.PerFetchClient.Name, 16, BenchmarkPlan.ColdToken, 3.5);

        if (odibi.Count > 0)
        {
            var runs = odibi.SelectMany(c => c.Runs.Select(r => (c.Scenario, Run: r))).ToList();
            var failures = runs.Sum(x => x.Run.Failures);
            var rateRuns = runs.Where(x => x.Scenario.Kind == ScenarioKind.RateBound).ToList();
            checks.Add(new TargetCheck("Odibi: 0 failures (rate-bound included)",
                $"{failures} failures in {runs.Count} prefetches ({rateRuns.Sum(x => x.Run.Failures)} in the {rateRuns.Count} rate-bound ones)", failures == 0, IsCount: true));

            var badTokens = runs.Where(x => x.Run.TokenRequests != 1).ToList();
            checks.Add(new TargetCheck("Odibi: exactly 1 token request per prefetch",
                badTokens.Count == 0
                    ? $"1 in each of {runs.Count} prefetches"
                    : $"{badTokens.Count} of {runs.Count} prefetches differ, e.g. {badTokens[0].Run.TokenRequests} in {badTokens[0].Scenario.Label}",
                badTokens.Count == 0, IsCount: true));

            var badRequests = runs.Where(x => x.Run.VaultRequests != x.Scenario.Secrets + x.Run.Throttled + x.Scenario.ExpectedChallenges
                                              || x.Run.Challenges != x.Scenario.ExpectedChallenges).ToList();
            var throttled = runs.Where(x => x.Scenario.Kind == ScenarioKind.RateBound).Select(x => x.Run.Throttled).DefaultIfEmpty(0).ToList();
            checks.Add(new TargetCheck("Odibi: vault requests = distinct secrets (+ 429s), no challenge (one per vault for private-link names)",
                badRequests.Count == 0
                    ? $"exact in each of {runs.Count} prefetches; 429s per rate-bound prefetch: {throttled.Min()}–{throttled.Max()}"
                    : $"{badRequests.Count} of {runs.Count} prefetches differ, e.g. {badRequests[0].Run.VaultRequests} requests " +
                      $"({badRequests[0].Run.Challenges} challenges; expected {badRequests[0].Scenario.Secrets} + {badRequests[0].Run.Throttled} 429s) in {badRequests[0].Scenario.Label}",
                badRequests.Count == 0, IsCount: true));
        }

        if (host is not null)
        {
            checks.Add(new TargetCheck("Host start overhead of AddOdibiConnections (DirectKey only) < 5 ms",
                string.Create(Invariant, $"{host.OverheadMs:F2} ms (median build+start {host.OdibiMedianMs:F2} ms vs bare {host.BareMedianMs:F2} ms)"),
                host.OverheadMs < 5, IsCount: false));
        }

        return checks;
    }

    private static void AddRatio(List<TargetCheck> checks, List<CellResult> cells, double limit, string target)
    {
        if (cells.Count == 0)
        {
            return;
        }

        var worst = cells.MaxBy(c => c.Ratio)!;
        var met = cells.Count(c => c.Ratio <= limit);
        checks.Add(new TargetCheck(target,
            string.Create(Invariant, $"{met} of {cells.Count} scenarios; worst {worst.Ratio:F2}× ({worst.MedianMs:F0} ms vs {worst.Scenario.Bound.TotalMilliseconds:F0} ms, {worst.Scenario.Label})"),
            met == cells.Count, IsCount: false));
    }

    /// <summary>Odibi against a bare client with the token pre-sent, in the same run, wherever both ran.</summary>
    private static void AddFloor(List<TargetCheck> checks, IReadOnlyList<CellResult> cells, double limit)
    {
        var pairs = cells.Where(c => c.Strategy == BenchmarkPlan.Odibi.Name && c.HasRuns)
            .Select(o => (Odibi: o, Floor: cells.FirstOrDefault(c => c.Strategy == BenchmarkPlan.Floor.Name && c.HasRuns && c.Scenario == o.Scenario)))
            .Where(p => p.Floor is not null)
            .Select(p => (p.Odibi, Floor: p.Floor!, Ratio: p.Odibi.MedianMs / p.Floor!.MedianMs))
            .ToList();
        if (pairs.Count == 0)
        {
            return;
        }

        var worst = pairs.MaxBy(p => p.Ratio);
        checks.Add(new TargetCheck(string.Create(Invariant, $"Odibi ≤ {limit:F2} × the floor (a bare client with the token pre-sent)"),
            string.Create(Invariant, $"{pairs.Count(p => p.Ratio <= limit)} of {pairs.Count} scenarios; worst {worst.Ratio:F2}× ({worst.Odibi.MedianMs:F0} ms vs {worst.Floor.MedianMs:F0} ms, {worst.Odibi.Scenario.Label})"),
            pairs.All(p => p.Ratio <= limit), IsCount: false));
    }

    /// <summary>Odibi against the plain SDK (one client per vault, all at once), in the same run, wherever the plain SDK read every secret.</summary>
    private static void AddPlainSdk(List<TargetCheck> checks, IReadOnlyList<CellResult> cells, double limit)
    {
        var pairs = cells.Where(c => c.Strategy == BenchmarkPlan.Odibi.Name && c.HasRuns)
            .Select(o => (Odibi: o, Plain: cells.FirstOrDefault(c => c.Strategy == BenchmarkPlan.PlainSdk.Name && c.HasRuns && c.Scenario == o.Scenario)))
            .Where(p => p.Plain is not null)
            .Select(p => (p.Odibi, Plain: p.Plain!, Ratio: p.Odibi.MedianMs / p.Plain!.MedianMs))
            .ToList();
        if (pairs.Count == 0)
        {
            return;
        }

        var worst = pairs.MaxBy(p => p.Ratio);
        var plainFailed = pairs.Count(p => p.Plain.Runs.Any(r => r.Failures > 0));
        checks.Add(new TargetCheck(string.Create(Invariant, $"Odibi ≤ {limit:F2} × the plain SDK (one client per vault, every GET at once)"),
            string.Create(Invariant, $"{pairs.Count(p => p.Ratio <= limit)} of {pairs.Count} scenarios; worst {worst.Ratio:F2}× ({worst.Odibi.MedianMs:F0} ms vs {worst.Plain.MedianMs:F0} ms, {worst.Odibi.Scenario.Label})") +
            (plainFailed > 0 ? string.Create(Invariant, $"; the plain SDK failed reads in {plainFailed} of them") : string.Empty),
            pairs.All(p => p.Ratio <= limit), IsCount: false));
    }

    private static void AddSpeedup(List<TargetCheck> checks, IReadOnlyList<CellResult> cells, string baseline, int secrets, TimeSpan token, double limit)
    {
        foreach (var odibi in cells.Where(c => c.Strategy == BenchmarkPlan.Odibi.Name && c.HasRuns && c.Scenario.Kind == ScenarioKind.LatencyBound
                                               && c.Scenario.Secrets == secrets && c.Scenario.TokenLatency == token))
        {
            var other = cells.FirstOrDefault(c => c.Strategy == baseline && c.HasRuns && c.Scenario == odibi.Scenario);
            if (other is null)
            {
                continue;
            }

            var speedup = other.MedianMs / odibi.MedianMs;
            checks.Add(new TargetCheck(
                string.Create(Invariant, $"N={secrets}, {odibi.Scenario.Vaults} vault(s), T={token.TotalMilliseconds:F0} ms: Odibi ≥ {limit:F1}× faster than {baseline}"),
                string.Create(Invariant, $"{speedup:F2}× ({other.MedianMs:F0} ms vs {odibi.MedianMs:F0} ms)"),
                speedup >= limit, IsCount: false));
        }
    }
}
