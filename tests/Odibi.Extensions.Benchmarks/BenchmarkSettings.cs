using System.Globalization;

namespace Odibi.Extensions.Benchmarks;

/// <summary>The command line: <c>[--quick] [--out FILE] [--plot FILE] [--runs N] [--max-run-seconds S] [--micro]</c>.</summary>
internal sealed record BenchmarkSettings
{
    public bool Quick { get; init; }

    public bool Micro { get; init; }

    /// <summary>Prints each rate-bound run's requests per 250 ms (200s and 429s).</summary>
    public bool Timeline { get; init; }

    /// <summary>Adds the prototype strategies (design changes measured before they are made in the library).</summary>
    public bool Prototype { get; init; }

    /// <summary>The mean request latency L in milliseconds (default 150; jitter stays ± 20 ms).</summary>
    public double LatencyMs { get; init; } = 150;

    /// <summary>Runs only scenarios whose label contains this text, e.g. <c>"N=1024, 1 vault, T=0"</c>.</summary>
    public string? Filter { get; init; }

    /// <summary>Runs only scenarios of this kind (<c>--only RateBound</c>).</summary>
    public ScenarioKind? Only { get; init; }

    /// <summary>Runs only these strategies (<c>--strategies Odibi,sequential</c>); empty runs all.</summary>
    public IReadOnlyList<string> Strategies { get; init; } = [];

    /// <summary>Runs only the fleet benchmark (<c>--fleet-only</c>).</summary>
    public bool FleetOnly { get; init; }

    /// <summary>Leaves the fleet benchmark out (<c>--no-fleet</c>).</summary>
    public bool NoFleet { get; init; }

    /// <summary>The largest fleet to start (<c>--fleet-max-hosts</c>, default 1000: every row).</summary>
    public int FleetMaxHosts { get; init; } = 1000;

    public string? OutFile { get; init; }

    public string? PlotFile { get; init; }

    /// <summary>Measured runs per cell (after a warm-up run when one run is short).</summary>
    public int Runs { get; init; } = 5;

    /// <summary>Cells predicted to take longer than this per run are skipped; <see langword="null"/> runs everything.</summary>
    public TimeSpan? MaxRunTime { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Cells predicted to take longer than this per run are measured once.</summary>
    public TimeSpan LongRunTime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Cells predicted to take at most this per run get a warm-up run first.</summary>
    public TimeSpan WarmUpBelow { get; init; } = TimeSpan.FromSeconds(3);

    public static BenchmarkSettings Parse(string[] args)
    {
        var settings = new BenchmarkSettings();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--quick" => settings with { Quick = true, Runs = 3, MaxRunTime = TimeSpan.FromSeconds(10) },
                "--micro" => settings with { Micro = true },
                "--timeline" => settings with { Timeline = true },
                "--prototype" => settings with { Prototype = true },
                "--latency" => settings with { LatencyMs = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--filter" => settings with { Filter = Next() },
                "--only" => settings with { Only = Enum.Parse<ScenarioKind>(Next(), ignoreCase: true) },
                "--strategies" => settings with { Strategies = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--fleet-only" => settings with { FleetOnly = true },
                "--no-fleet" => settings with { NoFleet = true },
                "--fleet-max-hosts" => settings with { FleetMaxHosts = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--out" => settings with { OutFile = Next() },
                "--plot" => settings with { PlotFile = Next() },
                "--runs" => settings with { Runs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--max-run-seconds" => settings with
                {
                    MaxRunTime = double.Parse(Next(), CultureInfo.InvariantCulture) is var seconds and > 0 ? TimeSpan.FromSeconds(seconds) : null,
                },
                "--help" or "-h" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}"),
            };
        }

        return settings.Runs < 1 ? throw new ArgumentException("--runs must be at least 1.") : settings;
    }

    public const string Usage =
        "usage: dotnet run -c Release --project tests/Odibi.Extensions.Benchmarks -- [--quick] [--out FILE.md] [--plot FILE.png] " +
        "[--runs N (default 5)] [--max-run-seconds S (default 45; 0 runs every cell)] [--micro (BenchmarkDotNet CPU benchmarks only)] [--timeline (rate-bound and fleet request timelines)] [--prototype (add prototype strategies)] [--latency MS (default 150)] [--filter TEXT (scenario labels; with --fleet-only, fleet rows by \"label, strategy\")] [--only LatencyBound|RateBound|Shared] [--strategies NAME,...] [--fleet-only | --no-fleet] [--fleet-max-hosts H (default 1000)]; or --cold-start (process cold start, see --cold-start --help)";
}
