using System.Globalization;

namespace Odibi.Extensions.Benchmarks.ColdStart;

/// <summary>The command line of <c>--cold-start</c>: <c>[--launches N] [--out FILE.md] [--modes jit,r2r,aot] [--wait-for-load L] [--quick]</c>.</summary>
internal sealed record ColdStartSettings
{
    /// <summary>Measured launches per cell, after one launch per publish mode that is not counted.</summary>
    public int Launches { get; init; } = 11;

    public IReadOnlyList<PublishMode> Modes { get; init; } = [PublishMode.Jit, PublishMode.ReadyToRun, PublishMode.NativeAot];

    /// <summary>Writes the section into this file (docs/performance.md), replacing an earlier one.</summary>
    public string? OutFile { get; init; }

    /// <summary>Before the first launch, waits (up to 30 minutes) until the 1-minute load average is below this.</summary>
    public double? QuietLoad { get; init; }

    /// <summary>The CI smoke: JIT only, one launch per host, counts checked, nothing written.</summary>
    public bool Quick { get; init; }

    public static ColdStartSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new ColdStartSettings();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--cold-start" => settings,
                "--launches" => settings with { Launches = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--out" => settings with { OutFile = Next() },
                "--wait-for-load" => settings with { QuietLoad = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--modes" => settings with { Modes = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(PublishModes.Parse)] },
                "--quick" => settings with { Quick = true, Launches = 1, Modes = [PublishMode.Jit] },
                "--help" or "-h" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'.\n{Usage}"),
            };
        }

        return settings.Launches < 1 ? throw new ArgumentException("--launches must be at least 1.") : settings;
    }

    public const string Usage =
        "usage: dotnet run -c Release --project tests/Odibi.Extensions.Benchmarks -- --cold-start [--launches N (default 11)] " +
        "[--modes jit,r2r,aot (default all)] [--out docs/performance.md] [--wait-for-load 1.5 (start launching once the 1-minute load is below)] [--quick (CI smoke: JIT, one launch each, counts only)]";
}
