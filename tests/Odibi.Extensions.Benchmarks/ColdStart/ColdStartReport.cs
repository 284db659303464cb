using System.Globalization;
using System.Text;

namespace Odibi.Extensions.Benchmarks.ColdStart;

/// <summary>Writes the cold-start section of docs/performance.md and checks its targets.</summary>
internal static class ColdStartReport
{
    /// <summary>The goal: a Native AOT process reaches "prefetch done" within this multiple of the bound T + L.</summary>
    public const double AotGoal = 1.15;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IReadOnlyList<TargetCheck> Checks(IReadOnlyList<ColdStartCell> cells)
    {
        var checks = new List<TargetCheck>();
        var launches = cells.Where(c => c.Host.Kind == ColdStartKind.Odibi).SelectMany(c => c.Launches.Select(l => (c.Host, Launch: l))).ToList();
        var wrong = launches.Count(x => x.Launch.VaultRequests != (x.Host.Bare ? 0 : x.Host.Connections) || x.Launch.TokenRequests != (x.Host.Bare ? 0 : 1));
        checks.Add(new TargetCheck("Every launch: all connections ready, 1 token request, N vault requests (no challenge)",
            $"{launches.Count - wrong} of {launches.Count} launches", wrong == 0 && launches.Count > 0, IsCount: true));

        // The mark is taken by a hosted service registered after Odibi's: it must come after the whole prefetch.
        var early = launches.Count(x => !x.Host.Bare && !(x.Launch.PrefetchDoneMs >= x.Launch.PrefetchMs && x.Launch.HostStartedMs >= x.Launch.PrefetchDoneMs));
        checks.Add(new TargetCheck("Every launch: launch → prefetch done ≥ the prefetch's own duration, and ≤ launch → host started",
            $"{launches.Count(x => !x.Host.Bare) - early} of {launches.Count(x => !x.Host.Bare)} launches", early == 0, IsCount: true));

        foreach (var cell in cells.Where(c => c.Mode == PublishMode.NativeAot && c.Host.IsOdibi && c.Launches.Count > 0))
        {
            // What a process cannot avoid (the bare host's start) plus the bound, with the first TLS start hidden under the token wait.
            var median = Median(cell.Launches.Select(l => l.PrefetchDoneMs!.Value));
            var bound = cell.Host.BoundMs!.Value;
            var bare = BareStarted(cells, cell.Mode);
            checks.Add(new TargetCheck(
                string.Create(Invariant, $"Native AOT, {cell.Host.Label}: launch → prefetch done ≤ bare host started + {AotGoal:F2} × (T + L)"),
                string.Create(Invariant, $"{median:F0} ms vs {bare:F0} + {AotGoal * bound:F0} = {bare + (AotGoal * bound):F0} ms"),
                median <= bare + (AotGoal * bound),
                IsCount: false));
        }

        var pairs = cells.Where(c => c.Host.IsOdibi && c.Launches.Count > 0)
            .Select(o => (Odibi: o, Plain: cells.FirstOrDefault(p => p.Mode == o.Mode && p.Host == o.Host with { Kind = ColdStartKind.PlainSdk } && p.Launches.Count > 0)))
            .Where(p => p.Plain is not null)
            .Select(p => (p.Odibi, Odibi: Median(p.Odibi.Launches.Select(l => l.PrefetchDoneMs!.Value)), Plain: Median(p.Plain!.Launches.Select(l => l.PrefetchDoneMs!.Value))))
            .ToList();
        if (pairs.Count > 0)
        {
            var worst = pairs.MaxBy(p => p.Odibi / p.Plain);
            checks.Add(new TargetCheck("Every cell: Odibi reaches \"prefetch done\" before the plain-SDK control",
                string.Create(Invariant, $"{pairs.Count(p => p.Odibi < p.Plain)} of {pairs.Count} cells; closest {worst.Odibi:F0} ms vs {worst.Plain:F0} ms ({worst.Item1.Mode.Label()}, {worst.Item1.Host.Label})"),
                pairs.All(p => p.Odibi < p.Plain), IsCount: false));
        }

        return checks;
    }

    public static string Write(IReadOnlyList<ColdStartCell> cells, IReadOnlyList<TargetCheck> checks, string heading, int launches, long? aotBytes)
    {
        var text = new StringBuilder();
        text.AppendLine("## Process cold start").AppendLine();
        text.AppendLine(heading).AppendLine();
        text.AppendLine(Invariant, $"A service that scales from zero pays the process start, the runtime and the JIT before its first secret. " +
                                   $"`tests/Odibi.Extensions.ColdStart` is such a service: a default `Host.CreateApplicationBuilder` host with N Key Vault " +
                                   $"connections in one vault, `AddOdibiConnections()`, `StartAsync`; the bare host has no Odibi at all. It is published " +
                                   $"three ways and each cell is the median of {launches} launches (rotating over hosts and modes, after one uncounted " +
                                   $"launch per mode, so the executable is in the file cache). LocalKeyVault runs in a **separate process** (the harness) " +
                                   $"with L = {Scenario.Latency.TotalMilliseconds:F0} ms ± {Scenario.Jitter.TotalMilliseconds:F0} ms per request, " +
                                   $"reached over HTTPS on loopback; the app's token credential takes T. Times are from just before the harness starts the " +
                                   $"process to the moment in the process: \"prefetch done\" is when the host's starting phase passes Odibi's prefetch, " +
                                   $"\"host started\" when `StartAsync` returns. The **plain SDK** rows are the control: the same host without Odibi, then one " +
                                   $"`SecretClient` reading the same N secrets at once (challenged as the SDK does), \"prefetch done\" when the last arrived. " +
                                   $"**One HTTPS GET** is a process that makes one request to the harness and exits: the first TLS start no library can remove.").AppendLine();
        text.AppendLine("| host | publish | launch → prefetch done ms | min–max | prefetch as reported ms | launch → host started ms | min–max | bound T + L ms | prefetch done ÷ bound | token requests | vault requests | launches |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var cell in cells.Where(c => c.Launches.Count > 0))
        {
            var started = cell.Launches.Select(l => l.HostStartedMs).ToList();
            var requests = cell.Launches.Select(l => l.VaultRequests).Distinct().Order().ToList();
            var requestText = string.Join("–", requests.Count == 1 ? [requests[0]] : new[] { requests[0], requests[^1] });
            var tokens = cell.Launches.Select(l => l.TokenRequests).Distinct().Order().ToList();
            var tokenText = string.Join("–", tokens.Count == 1 ? [tokens[0]] : new[] { tokens[0], tokens[^1] });
            if (cell.Host.Bare || cell.Host.Kind == ColdStartKind.TlsProbe)
            {
                text.AppendLine(Invariant, $"| {cell.Host.Label} | {cell.Mode.Label()} | – | | – | **{Median(started):F0}** | {started.Min():F0}–{started.Max():F0} | – | – | {tokenText} | {requestText} | {cell.Launches.Count} |");
                continue;
            }

            var done = cell.Launches.Select(l => l.PrefetchDoneMs!.Value).ToList();
            var prefetch = cell.Host.IsOdibi ? Median(cell.Launches.Select(l => l.PrefetchMs ?? double.NaN)).ToString("F0", Invariant) : "–";
            var bound = cell.Host.BoundMs!.Value;
            var doneText = cell.Host.IsOdibi ? string.Create(Invariant, $"**{Median(done):F0}**") : Median(done).ToString("F0", Invariant);
            text.AppendLine(Invariant, $"| {cell.Host.Label} | {cell.Mode.Label()} | {doneText} | {done.Min():F0}–{done.Max():F0} | {prefetch} | " +
                                       $"{Median(started):F0} | {started.Min():F0}–{started.Max():F0} | {bound:F0} | {Median(done) / bound:F2}× | {tokenText} | {requestText} | {cell.Launches.Count} |");
        }

        text.AppendLine();
        text.AppendLine("\"prefetch as reported\" is `PrefetchReport.Elapsed`, timed inside the process from the prefetch's start; the difference to " +
                        "\"launch → prefetch done\" is the runtime's start, configuration and host building, and the JIT before the first request. " +
                        "The bound T + L is one token, then the fetches in parallel (no challenge: the vault is under vault.azure.net), with no process start in it.");
        text.AppendLine();
        text.AppendLine("Where a cold process spends the time beyond the bound: before the prefetch, the runtime's start and the host's build " +
                        "(the bare host's row; Odibi's registration and validation add little to it); in the prefetch, its first request " +
                        "also pays the one-time start of HTTPS (loading the TLS library and the system's trusted roots, the first handshake) " +
                        "before the challenge can go out. A warm process, as in the tables above, has paid both already.");
        foreach (var cell in cells.Where(c => c.Mode == PublishMode.NativeAot && c.Host.IsOdibi && c.Launches.Count > 0).Take(1))
        {
            var bare = cells.FirstOrDefault(c => c.Mode == cell.Mode && c.Host.Bare && c.Launches.Count > 0);
            var beforePrefetch = Median(cell.Launches.Select(l => l.PrefetchDoneMs!.Value - (l.PrefetchMs ?? 0)));
            text.AppendLine();
            text.AppendLine(Invariant, $"Native AOT, {cell.Host.Label}: the prefetch started {beforePrefetch:F0} ms after launch" +
                                       $"{(bare is null ? string.Empty : string.Create(Invariant, $" (a bare host had started at {Median(bare.Launches.Select(l => l.HostStartedMs)):F0} ms)"))} " +
                                       $"and took {Median(cell.Launches.Select(l => l.PrefetchMs ?? double.NaN)):F0} ms against a bound of {cell.Host.BoundMs:F0} ms.");
        }

        if (aotBytes is { } bytes)
        {
            text.AppendLine();
            text.AppendLine(Invariant, $"The Native AOT executable is {bytes / (1024.0 * 1024.0):F1} MB, self-contained; JIT and ReadyToRun publish framework-dependent apps that use the installed .NET runtime.");
        }

        text.AppendLine();
        text.AppendLine("Reproduce (about 5 minutes; needs `clang` and `zlib1g-dev` for Native AOT; `--quick` is the CI smoke, JIT only, counts checked):").AppendLine();
        text.AppendLine("```bash");
        text.AppendLine("dotnet run -c Release --project tests/Odibi.Extensions.Benchmarks -- --cold-start --out docs/performance.md");
        text.AppendLine("```").AppendLine();
        text.AppendLine("| target | measured | |");
        text.AppendLine("| --- | --- | --- |");
        foreach (var check in checks)
        {
            text.AppendLine(Invariant, $"| {check.Target} | {check.Measured} | {(check.Met ? "met" : "**missed**")} |");
        }

        return text.ToString();
    }

    private static double Median(IEnumerable<double> values) => CellResult.Median(values);

    private static double BareStarted(IReadOnlyList<ColdStartCell> cells, PublishMode mode) =>
        cells.FirstOrDefault(c => c.Mode == mode && c.Host.Bare && c.Launches.Count > 0) is { } bare ? Median(bare.Launches.Select(l => l.HostStartedMs)) : 0;
}
