using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Benchmarks;

/// <summary>Host build + start times with and without <c>AddOdibiConnections</c> (DirectKey connections only).</summary>
internal sealed record HostOverheadResult(
    int Runs,
    double BareMedianMs,
    double BareMinMs,
    double BareMaxMs,
    double OdibiMedianMs,
    double OdibiMinMs,
    double OdibiMaxMs,
    double OverheadMs,
    double ColdOverheadMs);

/// <summary>
/// Measures what <c>AddOdibiConnections</c> adds to a host's start when no connection needs Key Vault: registration,
/// <c>Build</c>, and <c>StartAsync</c> (options validation, the startup service). Bare and Odibi hosts alternate so drift
/// hits both; the overhead is the median of the paired differences. Run first, so the first Odibi host shows the
/// one-time cost (JIT, assembly loading) against a warm bare host.
/// </summary>
internal static class HostOverhead
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static async Task<HostOverheadResult> MeasureAsync(int runs, int warmUps)
    {
        await StartAsync(odibi: false);
        var bareWarm = await StartAsync(odibi: false);
        var odibiCold = await StartAsync(odibi: true);

        for (var i = 0; i < warmUps; i++)
        {
            await StartAsync(odibi: false);
            await StartAsync(odibi: true);
        }

        var bare = new List<double>(runs);
        var odibi = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            if (i % 2 == 0)
            {
                bare.Add(await StartAsync(odibi: false));
                odibi.Add(await StartAsync(odibi: true));
            }
            else
            {
                odibi.Add(await StartAsync(odibi: true));
                bare.Add(await StartAsync(odibi: false));
            }
        }

        return new HostOverheadResult(
            runs,
            CellResult.Median(bare),
            bare.Min(),
            bare.Max(),
            CellResult.Median(odibi),
            odibi.Min(),
            odibi.Max(),
            CellResult.Median(odibi.Zip(bare, (o, b) => o - b)),
            odibiCold - bareWarm);
    }

    private static async Task<double> StartAsync(bool odibi)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var stopwatch = Stopwatch.StartNew();
        var configuration = new ConfigurationManager();
        configuration["hostBuilder:reloadConfigOnChange"] = "false";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            Configuration = configuration,
        });
        builder.Logging.ClearProviders();
        if (odibi)
        {
            builder.Services.AddOdibiConnections(options =>
            {
                foreach (var name in new[] { "bronze", "silver", "gold", "archive" })
                {
                    options.Connections[name] = new AdlsConnectionOptions
                    {
                        Account = $"dls{name}dev001",
                        Container = name,
                        AuthMode = AdlsAuthMode.DirectKey,
                        AccountKey = AccountKey,
                    };
                }
            });
        }

        using var host = builder.Build();
        await host.StartAsync();
        stopwatch.Stop();
        await host.StopAsync();
        return stopwatch.Elapsed.TotalMilliseconds;
    }
}
