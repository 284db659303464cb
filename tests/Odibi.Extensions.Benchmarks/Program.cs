using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Odibi.Extensions.Benchmarks.ColdStart;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>
/// Startup-speed benchmark: sequential vs odibi-1.2-style vs Odibi prefetch, through the real SecretClient against an
/// in-process LocalKeyVault, printed as Markdown. <c>--quick</c> is the CI check: it fails (exit 1) when a count target
/// (token requests, vault requests, failures) is missed, never on timing.
/// </summary>
internal static class Program
{
    private static readonly TimeSpan QuickDeadline = TimeSpan.FromMinutes(5);

    private static async Task<int> Main(string[] args)
    {
        if (args.Contains("--cold-start"))
        {
            return await RunColdStartAsync(args);
        }

        if (args.Contains("--soak"))
        {
            return await RunSoakAsync(args);
        }

        if (args.Contains("--sync-starvation"))
        {
            return await SyncStarvation.RunAsync(args.Contains("--quick"), OutFile(args));
        }

        BenchmarkSettings settings;
        try
        {
            settings = BenchmarkSettings.Parse(args);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(exception.Message);
            return 2;
        }

        if (settings.Micro)
        {
            var config = ManualConfig.CreateMinimumViable()
                .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
                .AddExporter(MarkdownExporter.GitHub);
            BenchmarkRunner.Run<ConnectionMicroBenchmarks>(config);
            return 0;
        }

        if (!settings.Quick)
        {
            return await RunAsync(settings);
        }

        // In CI a hang must fail the run, not hold it until CI's own time limit.
        try
        {
            return await RunAsync(settings).WaitAsync(QuickDeadline);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"The quick benchmark did not complete within {QuickDeadline.TotalMinutes:F0} minutes.");
            Environment.Exit(3);
            return 3;
        }
    }

    private static async Task<int> RunColdStartAsync(string[] args)
    {
        ColdStartSettings settings;
        try
        {
            settings = ColdStartSettings.Parse(args);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(exception.Message);
            return 2;
        }

        // In CI a hang must fail the run, not hold it until CI's own time limit.
        try
        {
            return await ColdStartBenchmark.RunAsync(settings).WaitAsync(settings.Quick ? QuickDeadline : Timeout.InfiniteTimeSpan);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"The cold-start smoke did not complete within {QuickDeadline.TotalMinutes:F0} minutes.");
            return 3;
        }
        catch (InvalidOperationException exception)
        {
            Console.Error.WriteLine($"cold start: {exception.Message}");
            return 1;
        }
    }

    /// <summary><c>--soak [--quick] [--duration SECONDS]</c>: 600 s by default, 20 s with <c>--quick</c>.</summary>
    private static async Task<int> RunSoakAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var at = Array.IndexOf(args, "--duration");
        var seconds = at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : quick ? 20 : 600;
        try
        {
            return await Soak.SoakBenchmark.RunAsync(TimeSpan.FromSeconds(seconds), quick, OutFile(args)).WaitAsync(TimeSpan.FromSeconds(seconds) + QuickDeadline);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("The soak did not complete in time.");
            Environment.Exit(3);
            return 3;
        }
    }

    /// <summary>The file after <c>--out</c>, if given.</summary>
    private static string? OutFile(string[] args)
    {
        var at = Array.IndexOf(args, "--out");
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    /// <summary>The machine's 1-minute load average (Linux), to tell a quiet run from a busy one.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static async Task<int> RunAsync(BenchmarkSettings settings)
    {
        // LocalKeyVault runs in this process: Kestrel's handlers, the SDK's pipelines and the token delays are all async,
        // and enough pool threads are made available up front that a burst of 256 requests never waits for thread injection.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 256), Math.Max(io, 256));

        Scenario.Latency = TimeSpan.FromMilliseconds(settings.LatencyMs);
        var total = Stopwatch.StartNew();
        var loadAtStart = LoadAverage();
        Console.Error.WriteLine($"Odibi.Extensions benchmark ({(settings.Quick ? "quick" : "full")}): {Environment.ProcessorCount} cores, " +
                                $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}");

        HostOverheadResult? host = null;
        if (!settings.FleetOnly)
        {
            host = await HostOverhead.MeasureAsync(settings.Quick ? 20 : 100, settings.Quick ? 5 : 20);
            Console.Error.WriteLine($"host start: bare {host.BareMedianMs:F2} ms, with AddOdibiConnections {host.OdibiMedianMs:F2} ms, overhead {host.OverheadMs:F2} ms (first: {host.ColdOverheadMs:F1} ms)");
        }

        await using var server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions
        {
            Latency = Scenario.Latency - Scenario.Jitter,
            Jitter = Scenario.Jitter * 2,
        });
        var runner = new ScenarioRunner(server, settings);

        foreach (var (scenario, strategy) in BenchmarkPlan.WarmUp(settings.Quick))
        {
            await runner.RunOnceAsync(scenario, strategy);
        }

        var cells = new List<CellResult>();
        foreach (var (scenario, strategies) in settings.FleetOnly ? [] : settings.Quick ? BenchmarkPlan.Quick() : BenchmarkPlan.Full())
        {
            if ((settings.Only is { } only && scenario.Kind != only) || (settings.Filter is { } filter && !scenario.Label.Contains(filter, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            foreach (var strategy in strategies.Concat(settings.Prototype ? BenchmarkPlan.Prototypes : []))
            {
                if (settings.Strategies.Count > 0 && !settings.Strategies.Contains(strategy.Name, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                cells.Add(await runner.RunCellAsync(scenario, strategy));
            }
        }

        var fleet = settings.NoFleet ? [] : await FleetBenchmark.RunAsync(server, FleetBenchmark.Plan(settings.Quick, settings.FleetMaxHosts), settings.Timeline, settings.FleetOnly ? settings.Filter : null);
        var checks = Targets.Evaluate(cells, host, requireOdibiEverywhere: settings.Quick && !settings.FleetOnly).Concat(FleetBenchmark.Check(fleet)).ToList();
        var heading = $"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Environment.ProcessorCount} cores ({RuntimeInformation.OSDescription.Trim()}, " +
                      $".NET {Environment.Version}), {(settings.Quick ? "--quick, " : string.Empty)}LocalKeyVault in process, " +
                      $"{total.Elapsed.TotalMinutes:F1} min; 1-minute load average {loadAtStart} at the start, {LoadAverage()} at the end.";
        var markdown = Report.Write(cells, host, checks, heading) + (fleet.Count > 0 ? Environment.NewLine + FleetBenchmark.Write(fleet) : string.Empty);
        Console.WriteLine(markdown);

        if (settings.OutFile is { } outFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
            await File.WriteAllTextAsync(outFile, DocSection.KeepOwned(outFile, markdown));
        }

        if (settings.PlotFile is { } plotFile)
        {
            PerformancePlot.Write(cells, plotFile);
        }

        var missed = checks.Where(c => c.IsCount && !c.Met).ToList();
        foreach (var check in missed)
        {
            Console.Error.WriteLine($"COUNT TARGET MISSED: {check.Target}: {check.Measured}");
        }

        Console.Error.WriteLine($"done in {total.Elapsed.TotalSeconds:F0} s; {checks.Count(c => c.IsCount && c.Met)} of {checks.Count(c => c.IsCount)} count targets met" +
                                $"{(settings.Quick ? " (timing is reported, not enforced)" : string.Empty)}");
        return missed.Count == 0 ? 0 : 1;
    }
}
