using System.Globalization;
using System.Text;

namespace Odibi.Extensions.Benchmarks;

/// <summary>Writes the results as Markdown.</summary>
internal static class Report
{
    public static string Formula =>
        string.Create(Invariant, $"bound = T + max(L, N_v / R): T the token latency, L = {Scenario.Latency.TotalMilliseconds:F0} ms the mean request latency ") +
        string.Create(Invariant, $"(each request takes {(Scenario.Latency - Scenario.Jitter).TotalMilliseconds:F0}–{(Scenario.Latency + Scenario.Jitter).TotalMilliseconds:F0} ms), ") +
        $"N_v the most secrets in one vault, R = {BenchmarkPlan.RateLimit} requests/s per vault (∞ without a rate limit). " +
        "The vaults are under vault.azure.net, so Odibi sends its first request with the token (no challenge round trip); the plain " +
        "SDK strategies are challenged first. In the private-link rows the vaults are addressed as {name}.privatelink.vaultcore.azure.net, " +
        "outside Key Vault's DNS suffixes: Odibi is challenged first too, and asks for the token while the challenge is on its way, " +
        "so their bound is max(T, L) + L. Vault requests count every request the vaults answered: challenges (401), secrets, and 429s.";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Write(IReadOnlyList<CellResult> cells, HostOverheadResult? host, IReadOnlyList<TargetCheck> checks, string heading)
    {
        var text = new StringBuilder();
        text.AppendLine(heading).AppendLine();
        SideBySide(text, cells);
        text.AppendLine("Every cell in full:").AppendLine();
        Section(text, cells, ScenarioKind.LatencyBound, "Latency-bound (no rate limit)");
        Section(text, cells, ScenarioKind.RateBound, $"Rate-bound (each vault allows {BenchmarkPlan.RateLimit} requests per sliding second, then 429 Throttled without Retry-After, as Key Vault answers)");
        Section(text, cells, ScenarioKind.Shared, "Shared (4 connections using 2 distinct secrets, 1 vault)");
        Section(text, cells, ScenarioKind.References, "Key Vault references in configuration (one reference per secret; R where a rate limit applies)");
        text.AppendLine(Formula).AppendLine();

        if (cells.Any(c => c.Skipped is not null || c.Runs.Count == 1))
        {
            text.AppendLine("Baselines whose single run would take minutes are skipped (`--max-run-seconds 0` runs them); " +
                            "cells whose run takes over 15 s are measured once (runs = 1).").AppendLine();
        }

        if (host is not null)
        {
            text.AppendLine("Host start (build + `StartAsync`, `Host.CreateApplicationBuilder`, 4 DirectKey connections, no Key Vault):").AppendLine();
            text.AppendLine("| host | median ms | min–max ms | runs |");
            text.AppendLine("| --- | ---: | ---: | ---: |");
            text.AppendLine(Invariant, $"| bare | {host.BareMedianMs:F2} | {host.BareMinMs:F2}–{host.BareMaxMs:F2} | {host.Runs} |");
            text.AppendLine(Invariant, $"| + `AddOdibiConnections` | {host.OdibiMedianMs:F2} | {host.OdibiMinMs:F2}–{host.OdibiMaxMs:F2} | {host.Runs} |");
            text.AppendLine(Invariant, $"| overhead (median of paired differences) | {host.OverheadMs:F2} | | |");
            text.AppendLine(Invariant, $"| overhead of the first Odibi host in the process (JIT, assembly loading) | {host.ColdOverheadMs:F1} | | 1 |");
            text.AppendLine();
        }

        if (checks.Count > 0)
        {
            text.AppendLine("| target | measured | |");
            text.AppendLine("| --- | --- | --- |");
            foreach (var check in checks)
            {
                text.AppendLine(Invariant, $"| {check.Target} | {check.Measured} | {(check.Met ? "met" : "**missed**")} |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>One row per scenario: the median of each strategy, Odibi's ratio to the bound and its counts.</summary>
    public static void SideBySide(StringBuilder text, IReadOnlyList<CellResult> cells)
    {
        var strategies = cells.Select(c => c.Strategy).Distinct().ToList();
        text.AppendLine("| scenario | N | vaults | T ms | bound ms | " + string.Join(" | ", strategies.Select(s => $"{s} ms")) +
                        " | Odibi ÷ bound | Odibi token requests | Odibi vault requests (429s) | failures |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | " + string.Join(" | ", strategies.Select(_ => "---:")) + " | ---: | ---: | ---: | ---: |");
        foreach (var scenario in cells.Select(c => c.Scenario).Distinct())
        {
            var row = cells.Where(c => c.Scenario == scenario).ToList();
            var n = scenario.Connections == scenario.Secrets ? scenario.Secrets.ToString(Invariant) : $"{scenario.Secrets} ({scenario.Connections} conn.)";
            var kind = scenario.Kind switch
            {
                ScenarioKind.LatencyBound => scenario.PrivateLink ? "latency, private link" : "latency",
                ScenarioKind.RateBound => string.Create(Invariant, $"rate {scenario.RequestsPerSecond}/s"),
                ScenarioKind.References => scenario.RequestsPerSecond is int r ? string.Create(Invariant, $"references, rate {r}/s") : "references",
                _ => "shared",
            };
            var medians = strategies.Select(name => row.FirstOrDefault(c => c.Strategy == name) switch
            {
                null => "",
                { HasRuns: false } => "skipped",
                var cell when name == BenchmarkPlan.Odibi.Name || name == BenchmarkPlan.References.Name => $"**{cell.MedianMs:F0}**",
                var cell => cell.MedianMs.ToString("F0", Invariant) + (cell.Runs.Count == 1 ? " (1 run)" : string.Empty),
            });
            var odibi = row.FirstOrDefault(c => (c.Strategy == BenchmarkPlan.Odibi.Name || c.Strategy == BenchmarkPlan.References.Name) && c.HasRuns);
            var odibiColumns = odibi is null
                ? " | | |"
                : string.Create(Invariant, $" {odibi.Ratio:F2}× | {Range(odibi.Runs.Select(r => r.TokenRequests))} | ") +
                  Range(odibi.Runs.Select(r => r.VaultRequests)) +
                  (odibi.Runs.Any(r => r.Throttled > 0) ? $" ({Range(odibi.Runs.Select(r => r.Throttled))})" : string.Empty) + " |";
            text.AppendLine(Invariant,
                $"| {kind} | {n} | {scenario.Vaults} | {scenario.TokenLatency.TotalMilliseconds:F0} | {scenario.Bound.TotalMilliseconds:F0} | " +
                $"{string.Join(" | ", medians)} |{odibiColumns} {row.Sum(c => c.Runs.Sum(r => r.Failures))} |");
        }

        text.AppendLine();
    }

    private static void Section(StringBuilder text, IReadOnlyList<CellResult> all, ScenarioKind kind, string title)
    {
        var cells = all.Where(c => c.Scenario.Kind == kind).ToList();
        if (cells.Count == 0)
        {
            return;
        }

        text.AppendLine(Invariant, $"**{title}**").AppendLine();
        text.AppendLine("| strategy | N | vaults | T ms | median ms | min–max ms | bound ms | ratio to bound | token requests | vault requests | 429s | failures | runs |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var cell in cells)
        {
            var s = cell.Scenario;
            var n = s.Connections == s.Secrets ? s.Secrets.ToString(Invariant) : $"{s.Secrets} ({s.Connections} conn.)";
            var strategy = (cell.Strategy == BenchmarkPlan.Odibi.Name ? $"**{cell.Strategy}**" : cell.Strategy) + (s.PrivateLink ? ", private link" : string.Empty);
            var prefix = string.Create(Invariant, $"| {strategy} | {n} | {s.Vaults} | {s.TokenLatency.TotalMilliseconds:F0} |");
            if (!cell.HasRuns)
            {
                text.AppendLine(Invariant, $"{prefix} {cell.Skipped} | | {s.Bound.TotalMilliseconds:F0} | | | | | | 0 |");
                continue;
            }

            var median = cell.Strategy == BenchmarkPlan.Odibi.Name ? $"**{cell.MedianMs:F0}**" : cell.MedianMs.ToString("F0", Invariant);
            text.AppendLine(Invariant,
                $"{prefix} {median} | {cell.MinMs:F0}–{cell.MaxMs:F0} | {s.Bound.TotalMilliseconds:F0} | {cell.Ratio:F2}× | " +
                $"{Range(cell.Runs.Select(r => r.TokenRequests))} | {Range(cell.Runs.Select(r => r.VaultRequests))} | " +
                $"{Range(cell.Runs.Select(r => r.Throttled))} | {cell.Runs.Sum(r => r.Failures)} | {cell.Runs.Count} |");
        }

        text.AppendLine();
    }

    private static string Range(IEnumerable<int> values)
    {
        var list = values.ToList();
        var (min, max) = (list.Min(), list.Max());
        return min == max ? min.ToString(Invariant) : string.Create(Invariant, $"{min}–{max}");
    }
}
