using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>
/// A fleet starting at once: <see cref="Hosts"/> hosts, each its own generic host and service provider, each reading
/// <see cref="SecretsPerHost"/> secrets from one vault limited to <see cref="Limit"/>. Each host names the vault by a
/// host name of its own (<c>https://{vault}.h0042.vault.azure.net/</c>, routed to the same LocalKeyVault vault), so each
/// pays its own challenge, as separate processes would.
/// </summary>
internal sealed record FleetScenario(int Hosts, int SecretsPerHost, LocalKeyVaultRateLimit Limit, TimeSpan Latency, TimeSpan TokenLatency)
{
    /// <summary>Gets the secret reads of the whole fleet (challenges aside, which the limit does not count).</summary>
    public int Reads => Hosts * SecretsPerHost;

    /// <summary>
    /// Gets the bound: the time the window admits the last read (bursts of W every P: ⌊(reads − 1) / W⌋ × P), plus the
    /// token T and the last read's round trip L (the vault is under vault.azure.net: no challenge round trip).
    /// </summary>
    public TimeSpan Bound => (Limit.Window * ((Reads - 1) / Limit.Permits)) + TokenLatency + Latency;

    /// <summary>Gets the requests per 100 ms the limit allows on average.</summary>
    public double AllowedPer100Ms => Limit.Permits * 0.1 / Limit.Window.TotalSeconds;

    public string Label => string.Create(CultureInfo.InvariantCulture,
        $"{Hosts} host{(Hosts == 1 ? string.Empty : "s")} × {SecretsPerHost}, {Limit.Permits} per {Limit.Window.TotalSeconds:0.#} s");

    /// <summary>Gets the most 429s per read the row allows (a count target): 1.5, or 2 for a window of a second or less, whose holds are refused more often.</summary>
    public double MaxThrottledPerRead => Limit.Window <= TimeSpan.FromSeconds(1) && Hosts > 40 ? 2 : 1.5;

    /// <summary>Gets the wall-time target as a multiple of the bound: 1.5, or 1.3 for the short-window fleet (80 hosts at 60 per second).</summary>
    public double MaxRatio => Limit.Window <= TimeSpan.FromSeconds(1) && Hosts > 40 ? 1.3 : 1.5;
}

/// <summary>One fleet start, measured.</summary>
/// <param name="StartSpread">From the fleet's first request to the last host's first: how long the hosts' own start spread them.</param>
/// <param name="MaxPer100MsAfterStart">The busiest 100 ms bucket that begins after <paramref name="StartSpread"/>: the retries' waves alone.</param>
internal sealed record FleetResult(
    FleetScenario Scenario, string Strategy, int FailedHosts, TimeSpan Wall, int Requests, int Throttled, int MaxPer100Ms, string? FirstError,
    TimeSpan StartSpread, int MaxPer100MsAfterStart)
{
    public double Ratio => Wall / Scenario.Bound;
}

/// <summary>Runs fleet starts side by side: Odibi with its defaults, and the plain SDK as apps use it today.</summary>
internal static class FleetBenchmark
{
    public const string Odibi = "Odibi defaults";
    public const string PlainSdk = "plain SDK";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static int s_sequence;

    public static IReadOnlyList<FleetScenario> Plan(bool quick, int maxHosts)
    {
        var latency = TimeSpan.FromMilliseconds(50);
        if (quick)
        {
            return [new FleetScenario(40, 6, LocalKeyVaultRateLimit.PerSecond(100), latency, TimeSpan.Zero)];
        }

        // The real model (4,000 per 10 s, no Retry-After). On a small machine the hosts' own CPU spreads the fleet's
        // requests before the vault's window fills, so a row with the window scaled down (400 per 10 s, the same
        // sliding 10 s and no Retry-After) shows the throttled start the larger fleets would meet on many machines.
        // And a short window (60 per sliding second): holds sized for a 10 s window would outlast it.
        var real = LocalKeyVaultRateLimit.KeyVaultService;
        return [new FleetScenario(100, 10, new LocalKeyVaultRateLimit(400, TimeSpan.FromSeconds(10)), latency, TimeSpan.Zero),
                new FleetScenario(80, 6, LocalKeyVaultRateLimit.PerSecond(60), latency, TimeSpan.Zero),
                .. new[] { 100, 500, 1000 }.Where(h => h <= maxHosts).Select(h => new FleetScenario(h, 10, real, latency, TimeSpan.Zero)),
                new FleetScenario(1, 1024, real, latency, TimeSpan.Zero)];
    }

    /// <summary>Runs each scenario with each strategy whose "label, strategy" contains <paramref name="filter"/> (all when null).</summary>
    public static async Task<IReadOnlyList<FleetResult>> RunAsync(LocalKeyVault server, IReadOnlyList<FleetScenario> plan, bool timeline = false, string? filter = null)
    {
        var results = new List<FleetResult>();
        foreach (var scenario in plan)
        {
            foreach (var strategy in new[] { Odibi, PlainSdk }.Where(s => filter is null || $"{scenario.Label}, {s}".Contains(filter, StringComparison.OrdinalIgnoreCase)))
            {
                var result = await RunOnceAsync(server, scenario, strategy, timeline);
                var example = result.FirstError is { } error ? $"; e.g. {error}" : string.Empty;
                Console.Error.WriteLine(string.Create(Invariant,
                    $"fleet {scenario.Label,-16} {strategy,-15} wall {result.Wall.TotalMilliseconds,7:F0} ms, bound {scenario.Bound.TotalMilliseconds:F0} ms, ×{result.Ratio:F2}, " +
                    $"failed hosts {result.FailedHosts}, requests {result.Requests}, 429s {result.Throttled}, max/100 ms {result.MaxPer100Ms} (allowed {scenario.AllowedPer100Ms:F0}), " +
                    $"start spread {result.StartSpread.TotalMilliseconds:F0} ms, max/100 ms after it {result.MaxPer100MsAfterStart}{example}"));
                results.Add(result);
            }
        }

        return results;
    }

    public static IEnumerable<TargetCheck> Check(IReadOnlyList<FleetResult> results)
    {
        // The one-host row is there to compare with the plain SDK (Prefetch:MaxConcurrency at work), not a fleet target.
        foreach (var result in results.Where(r => r.Strategy == Odibi && r.Scenario.Hosts > 1))
        {
            var label = result.Scenario.Label;
            yield return new TargetCheck($"Fleet {label}: 0 failed hosts", $"{result.FailedHosts} of {result.Scenario.Hosts}", result.FailedHosts == 0, IsCount: true);
            var maxThrottled = result.Scenario.MaxThrottledPerRead;
            yield return new TargetCheck(string.Create(Invariant, $"Fleet {label}: 429s ≤ {maxThrottled:0.#} × H·S"), string.Create(Invariant, $"{result.Throttled} (H·S = {result.Scenario.Reads})"),
                result.Throttled <= maxThrottled * result.Scenario.Reads, IsCount: true);
            yield return new TargetCheck(string.Create(Invariant, $"Fleet {label}: wall ≤ {result.Scenario.MaxRatio:0.0#} × bound"),
                string.Create(Invariant, $"{result.Ratio:F2}× ({result.Wall.TotalMilliseconds:F0} ms vs {result.Scenario.Bound.TotalMilliseconds:F0} ms)"), result.Ratio <= result.Scenario.MaxRatio, IsCount: false);
            yield return new TargetCheck($"Fleet {label}: no 100 ms bucket after the first above 3 × the allowed average",
                string.Create(Invariant, $"max {result.MaxPer100Ms} vs 3 × {result.Scenario.AllowedPer100Ms:F0} (after the {result.StartSpread.TotalMilliseconds:F0} ms start spread: {result.MaxPer100MsAfterStart})"),
                result.MaxPer100Ms <= 3 * result.Scenario.AllowedPer100Ms, IsCount: false);
        }
    }

    public static string Write(IReadOnlyList<FleetResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("Fleet start: H hosts (each its own generic host and service provider, in one process, each with its own vault host name " +
                        "so none shares another's challenge or token) start together, each reading S secrets from one vault. Bound = ⌊(H·S − 1) / W⌋ × P + T + L: " +
                        "when the vault's window (W requests per P, sliding) admits the last read, plus the token and the last read (Odibi sends the token " +
                        "with its first request to a vault under vault.azure.net; the plain SDK is challenged first). " +
                        "Challenges (401) are not counted by the limit, as the service's documented limits are per operation. " +
                        "Vault requests and the 100 ms buckets count every request the vault answered (401, 200 and 429). " +
                        "Start spread: from the fleet's first request to the last host's first, i.e. how long the hosts' own start (CPU) spread them; " +
                        "the busiest bucket after it shows the retries' waves alone.").AppendLine();
        text.AppendLine("| hosts × secrets | vault limit | L ms | bound ms | strategy | failed hosts | wall ms | wall ÷ bound | 429s | 429s ÷ H·S | vault requests | max per 100 ms after the first | allowed average per 100 ms | start spread ms | max per 100 ms after the start spread |");
        text.AppendLine("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            var s = r.Scenario;
            var strategy = r.Strategy == Odibi ? $"**{r.Strategy}**" : r.Strategy;
            text.AppendLine(Invariant,
                $"| {s.Hosts} × {s.SecretsPerHost} | {s.Limit.Permits} per {s.Limit.Window.TotalSeconds:0.#} s{(s.Limit.SendRetryAfter ? " + Retry-After" : ", no Retry-After")} | {s.Latency.TotalMilliseconds:F0} | " +
                $"{s.Bound.TotalMilliseconds:F0} | {strategy} | {r.FailedHosts} | {r.Wall.TotalMilliseconds:F0} | {r.Ratio:F2}× | {r.Throttled} | {(double)r.Throttled / s.Reads:F2} | " +
                $"{r.Requests} | {r.MaxPer100Ms} | {s.AllowedPer100Ms:F0} | {r.StartSpread.TotalMilliseconds:F0} | {r.MaxPer100MsAfterStart} |");
        }

        text.AppendLine();
        var failures = results.Where(r => r.FirstError is not null).ToList();
        if (failures.Count > 0)
        {
            text.AppendLine("A failed host's error, per row:").AppendLine();
            foreach (var r in failures)
            {
                text.AppendLine(Invariant, $"- {r.Scenario.Label}, {r.Strategy}: `{r.FirstError}`");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static async Task<FleetResult> RunOnceAsync(LocalKeyVault server, FleetScenario scenario, string strategy, bool timeline)
    {
        var id = Interlocked.Increment(ref s_sequence);
        var vault = server.Vault($"fleet{id:D3}");
        vault.RateLimit = scenario.Limit;
        vault.Latency = scenario.Latency - Scenario.Jitter; // the server adds 0–2 × jitter: L on average
        var secrets = Enumerable.Range(0, scenario.SecretsPerHost).Select(s => $"secret-{s:D4}").ToArray();
        foreach (var secret in secrets)
        {
            vault.SetSecret(secret, $"value-of-{secret}");
        }

        server.Credential.TokenLatency = scenario.TokenLatency;
        var hostUris = Enumerable.Range(0, scenario.Hosts).Select(h => $"https://{vault.Name}.h{id:D3}x{h:D4}.vault.azure.net/").ToArray();
        Func<Task<string?>>[] starts;
        var cleanup = new List<IDisposable>();
        if (strategy == Odibi)
        {
            var hosts = hostUris.Select(uri => BuildHost(server, uri, secrets)).ToArray();
            cleanup.AddRange(hosts);
            starts = [.. hosts.Select(host => (Func<Task<string?>>)(() => StartAsync(host)))];
        }
        else
        {
            starts = [.. hostUris.Select(uri => (Func<Task<string?>>)(() => PlainSdkAsync(server, uri, secrets)))];
        }

        server.ClearRequests();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var stopwatch = Stopwatch.StartNew();
        var errors = await Task.WhenAll(starts.Select(start => Task.Run(start)));
        var wall = stopwatch.Elapsed;

        foreach (var host in cleanup)
        {
            host.Dispose();
        }

        var requests = server.Requests.Where(r => string.Equals(r.VaultName, vault.Name, StringComparison.OrdinalIgnoreCase)).ToList();
        var first = requests.Count == 0 ? default : requests.Min(r => r.Timestamp);
        var buckets = requests.GroupBy(r => (int)((r.Timestamp - first).TotalMilliseconds / 100)).ToDictionary(g => g.Key, g => g.Count());
        var maxPerBucket = buckets.Where(b => b.Key > 0).Select(b => b.Value).DefaultIfEmpty(0).Max();
        var startSpread = requests.Count == 0 ? TimeSpan.Zero : requests.GroupBy(r => r.VaultHost).Max(g => g.Min(r => r.Timestamp)) - first;
        var afterStart = Math.Max(1, (int)Math.Ceiling(startSpread.TotalMilliseconds / 100));
        var maxAfterStart = buckets.Where(b => b.Key >= afterStart).Select(b => b.Value).DefaultIfEmpty(0).Max();
        if (timeline)
        {
            PrintTimeline(scenario, strategy, requests, first);
        }

        server.ClearRequests();
        return new FleetResult(scenario, strategy, errors.Count(e => e is not null), wall, requests.Count, requests.Count(r => r.StatusCode == 429),
            maxPerBucket, errors.FirstOrDefault(e => e is not null), startSpread, maxAfterStart);
    }

    /// <summary>Prints the vault's answers per 100 ms (200s, 429s, challenges) and when each host got its last secret.</summary>
    private static void PrintTimeline(FleetScenario scenario, string strategy, List<LocalKeyVaultRequest> requests, DateTimeOffset first)
    {
        Console.Error.WriteLine($"timeline {scenario.Label}, {strategy}: per 100 ms bucket, 200s/429s/401s");
        var line = new StringBuilder();
        foreach (var bucket in requests.GroupBy(r => (int)((r.Timestamp - first).TotalMilliseconds / 100)).OrderBy(g => g.Key))
        {
            line.Append(Invariant, $"{bucket.Key * 0.1:F1}s {bucket.Count(r => r.StatusCode == 200)}/{bucket.Count(r => r.StatusCode == 429)}/{bucket.Count(r => r.StatusCode == 401)}  ");
        }

        Console.Error.WriteLine(line.ToString());
        foreach (var host in requests.GroupBy(r => r.VaultHost).Where(g => g.Count(r => r.StatusCode == 200) < scenario.SecretsPerHost))
        {
            Console.Error.WriteLine($"host {host.Key} did not get every secret; its requests (s, status):");
            Console.Error.WriteLine(string.Join("  ", host.OrderBy(r => r.Timestamp).Select(r => string.Create(Invariant, $"{(r.Timestamp - first).TotalSeconds:F2} {r.SecretName} {r.StatusCode}"))));
        }

        var finishes = requests.Where(r => r.StatusCode == 200).GroupBy(r => r.VaultHost).Select(g => (g.Max(r => r.Timestamp) - first).TotalSeconds).Order().ToArray();
        if (finishes.Length > 0)
        {
            Console.Error.WriteLine(string.Create(Invariant,
                $"hosts' last secret at (s): min {finishes[0]:F1}, p50 {finishes[finishes.Length / 2]:F1}, p90 {finishes[finishes.Length * 9 / 10]:F1}, max {finishes[^1]:F1}"));
        }
    }

    private static IHost BuildHost(LocalKeyVault server, string vaultUri, string[] secrets)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOdibiConnections(options =>
        {
            for (var s = 0; s < secrets.Length; s++)
            {
                options.Connections[$"c{s:D4}"] = new AdlsConnectionOptions
                {
                    Account = $"acct{s:D4}", Container = "data", AuthMode = AdlsAuthMode.KeyVault, KeyVaultName = vaultUri, SecretName = secrets[s],
                };
            }
        }).UseLocalKeyVault(server);
        return builder.Build();
    }

    /// <summary>Starts a host (FailFast, default timeouts): null when it started, else the first line of why not.</summary>
    private static async Task<string?> StartAsync(IHost host)
    {
        try
        {
            await host.StartAsync();
            await host.StopAsync();
            return null;
        }
        catch (Exception exception)
        {
            return FirstFailure(exception);
        }
    }

    /// <summary>What apps without Odibi do: one <see cref="SecretClient"/> with default options, every secret fetched in parallel.</summary>
    private static async Task<string?> PlainSdkAsync(LocalKeyVault server, string vaultUri, string[] secrets)
    {
        var options = new SecretClientOptions();
        server.ConfigureClientOptions(options);
        var client = new SecretClient(new Uri(vaultUri), server.Credential, options);
        try
        {
            await Task.WhenAll(secrets.Select(s => client.GetSecretAsync(s)));
            return null;
        }
        catch (Exception exception)
        {
            return FirstFailure(exception);
        }
    }

    private static string FirstFailure(Exception exception)
    {
        var message = exception is OdibiPrefetchException prefetch && prefetch.Report.Results.FirstOrDefault(r => !r.Success)?.Error is { } first
            ? first.Message
            : $"{exception.GetType().Name}: {exception.Message}";
        var end = message.AsSpan().IndexOfAny('\r', '\n');
        return (end < 0 ? message : message[..end]).Replace("|", "\\|", StringComparison.Ordinal);
    }
}
