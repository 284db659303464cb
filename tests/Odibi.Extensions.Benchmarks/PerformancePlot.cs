using System.Globalization;
using ScottPlot;

namespace Odibi.Extensions.Benchmarks;

/// <summary>
/// Draws median time against N (log–log) for one vault: N ≤ 64 without a rate limit, N ≥ 256 at 400 requests/s
/// (the bound formula covers both), one panel per token latency, with the bound as a dashed line.
/// </summary>
internal static class PerformancePlot
{
    private static readonly (string Strategy, Color Color)[] Series =
    [
        (BenchmarkPlan.Sequential.Name, Colors.Gray),
        (BenchmarkPlan.PerFetchClient.Name, Colors.DarkOrange),
        (BenchmarkPlan.Odibi.Name, Colors.RoyalBlue),
    ];

    public static void Write(IReadOnlyList<CellResult> cells, string path)
    {
        var oneVault = cells.Where(c => c.HasRuns && c.Scenario.Vaults == 1 && c.Scenario.Kind is ScenarioKind.LatencyBound or ScenarioKind.RateBound
            && c.Scenario.TokenLatency != BenchmarkPlan.SlowDiscoveryToken).ToList();
        var panels = oneVault.Select(c => c.Scenario.TokenLatency).Distinct().OrderDescending().ToList();
        if (panels.Count == 0)
        {
            return;
        }

        var multiplot = new Multiplot();
        multiplot.Reset(Panel(oneVault.Where(c => c.Scenario.TokenLatency == panels[0]).ToList(), panels[0]));
        foreach (var token in panels.Skip(1))
        {
            multiplot.AddPlot(Panel(oneVault.Where(c => c.Scenario.TokenLatency == token).ToList(), token));
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        multiplot.SavePng(path, 600 * panels.Count, 450);
    }

    private static Plot Panel(List<CellResult> cells, TimeSpan token)
    {
        var plot = new Plot();
        var scenarios = cells.Select(c => c.Scenario).Distinct().OrderBy(s => s.Secrets).ToList();

        var bound = plot.Add.Scatter(
            scenarios.Select(s => Math.Log10(s.Secrets)).ToArray(),
            scenarios.Select(s => Math.Log10(s.Bound.TotalMilliseconds)).ToArray());
        bound.LegendText = "bound";
        bound.Color = Colors.Black;
        bound.LinePattern = LinePattern.Dashed;
        bound.MarkerSize = 0;

        foreach (var (strategy, color) in Series)
        {
            var points = cells.Where(c => c.Strategy == strategy && c.HasRuns).OrderBy(c => c.Scenario.Secrets).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            var scatter = plot.Add.Scatter(
                points.Select(c => Math.Log10(c.Scenario.Secrets)).ToArray(),
                points.Select(c => Math.Log10(c.MedianMs)).ToArray());
            scatter.LegendText = strategy;
            scatter.Color = color;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 7;
        }

        var xTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var n in scenarios.Select(s => s.Secrets))
        {
            xTicks.AddMajor(Math.Log10(n), n.ToString(CultureInfo.InvariantCulture));
        }

        var yTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var ms in new[] { 100, 200, 300, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000 })
        {
            yTicks.AddMajor(Math.Log10(ms), ms >= 1000 ? $"{ms / 1000} s" : $"{ms} ms");
        }

        plot.Axes.Bottom.TickGenerator = xTicks;
        plot.Axes.Left.TickGenerator = yTicks;
        plot.Title($"1 vault, T = {token.TotalMilliseconds:F0} ms{(token == TimeSpan.Zero ? " (warm credential)" : " (cold credential)")}");
        plot.XLabel("distinct secrets N (N ≥ 256: 400 requests/s limit)");
        plot.YLabel("median wall time");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
