using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks.ColdStart;

/// <summary>What a launch of the measured app does.</summary>
internal enum ColdStartKind
{
    /// <summary>The host with <c>AddOdibiConnections</c> (no connections: a bare host).</summary>
    Odibi,

    /// <summary>The same host without Odibi, then one <c>SecretClient</c> reading the same secrets at once (the control).</summary>
    PlainSdk,

    /// <summary>One HTTPS request and nothing else: the first TLS start of a cold process.</summary>
    TlsProbe,
}

/// <summary>One host the measured app builds: <see cref="Connections"/> Key Vault connections (0: a bare host) and token latency T.</summary>
internal sealed record ColdStartHost(int Connections, double TokenMs, ColdStartKind Kind = ColdStartKind.Odibi)
{
    public bool Bare => Connections == 0 && Kind == ColdStartKind.Odibi;

    /// <summary>Gets whether the launch is Odibi's prefetch (checked for counts).</summary>
    public bool IsOdibi => Kind == ColdStartKind.Odibi && Connections > 0;

    /// <summary>Gets the bound T + L (one token, then the fetches in parallel with it, no challenge), or null for a bare host.</summary>
    public double? BoundMs => Connections == 0 ? null : TokenMs + Scenario.Latency.TotalMilliseconds;

    public string Label => Kind switch
    {
        ColdStartKind.TlsProbe => "one HTTPS GET (first TLS)",
        _ when Bare => "bare host",
        ColdStartKind.PlainSdk => string.Create(CultureInfo.InvariantCulture, $"plain SDK, N={Connections}, T={TokenMs:F0} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"N={Connections}, T={TokenMs:F0} ms"),
    };
}

/// <summary>One launch: times from process launch, and the vault requests it made.</summary>
internal sealed record ColdStartLaunch(double? PrefetchDoneMs, double HostStartedMs, double? PrefetchMs, int VaultRequests, int TokenRequests);

/// <summary>The launches of one host in one publish mode.</summary>
internal sealed record ColdStartCell(ColdStartHost Host, PublishMode Mode, List<ColdStartLaunch> Launches);

/// <summary>
/// Process cold start: publishes <c>tests/Odibi.Extensions.ColdStart</c> as JIT, ReadyToRun and Native AOT, and launches
/// each, again and again, against a LocalKeyVault in this process (so not in the measured one), timing launch → "prefetch
/// done" and launch → "host started". Launches rotate over hosts and modes so drift on the machine hits all of them.
/// Counts (every connection ready, N vault requests per launch) fail the run; times are reported.
/// </summary>
internal static class ColdStartBenchmark
{
    private static readonly TimeSpan LaunchTimeout = TimeSpan.FromSeconds(60);
    private static int s_vaults;

    public static async Task<int> RunAsync(ColdStartSettings settings)
    {
        var total = Stopwatch.StartNew();
        var root = FindRepositoryRoot();
        var executables = new Dictionary<PublishMode, string>();
        foreach (var mode in settings.Modes)
        {
            executables[mode] = await PublishAsync(root, mode);
        }

        if (settings.QuietLoad is { } quiet)
        {
            await WaitForLoadAsync(quiet);
        }

        var loadAtStart = LoadAverage();
        await using var server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions
        {
            Latency = Scenario.Latency - Scenario.Jitter,
            Jitter = Scenario.Jitter * 2,
        });
        var pin = await GetCertificateHashAsync(server.Endpoint);

        ColdStartHost[] measured = settings.Quick ? [new(4, 0)] : [new(4, 0), new(16, 0), new(4, 500), new(16, 500)];
        ColdStartHost[] hosts =
        [
            new(0, 0), new(0, 0, ColdStartKind.TlsProbe),
            .. measured.SelectMany(h => new[] { h, h with { Kind = ColdStartKind.PlainSdk } }),
        ];
        var cells = hosts.SelectMany(h => settings.Modes.Select(m => new ColdStartCell(h, m, []))).ToList();

        // One uncounted launch per mode: the executables' pages are in the file cache for every counted one.
        foreach (var mode in settings.Modes)
        {
            await LaunchAsync(server, pin, executables[mode], new ColdStartHost(4, 0));
        }

        for (var launch = 0; launch < settings.Launches; launch++)
        {
            foreach (var host in hosts)
            {
                for (var m = 0; m < settings.Modes.Count; m++)
                {
                    var mode = settings.Modes[(m + launch) % settings.Modes.Count];
                    var result = await LaunchAsync(server, pin, executables[mode], host);
                    cells.Single(c => c.Host == host && c.Mode == mode).Launches.Add(result);
                }
            }

            Console.Error.WriteLine($"cold start: round {launch + 1} of {settings.Launches} done ({total.Elapsed.TotalSeconds:F0} s)");
        }

        var aotSize = settings.Modes.Contains(PublishMode.NativeAot) ? new FileInfo(executables[PublishMode.NativeAot]).Length : (long?)null;
        var heading = $"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Environment.ProcessorCount} cores ({RuntimeInformation.OSDescription.Trim()}, " +
                      $".NET {Environment.Version}), {total.Elapsed.TotalMinutes:F1} min including the publishing; " +
                      $"1-minute load average {loadAtStart} before the first launch, {LoadAverage()} after the last.";
        var checks = ColdStartReport.Checks(cells);
        var markdown = ColdStartReport.Write(cells, checks, heading, settings.Launches, aotSize);
        Console.WriteLine(markdown);
        if (settings.OutFile is { } outFile)
        {
            DocSection.Replace(outFile, DocSection.ColdStart, markdown);
            Console.Error.WriteLine($"cold start: section written to {outFile}");
        }

        var missed = checks.Where(c => c.IsCount && !c.Met).ToList();
        foreach (var check in missed)
        {
            Console.Error.WriteLine($"COUNT TARGET MISSED: {check.Target}: {check.Measured}");
        }

        return missed.Count == 0 ? 0 : 1;
    }

    private static async Task<ColdStartLaunch> LaunchAsync(LocalKeyVault server, string pin, string executable, ColdStartHost host)
    {
        var vaultName = string.Create(CultureInfo.InvariantCulture, $"coldstart{Interlocked.Increment(ref s_vaults):00000}");
        var vault = server.Vault(vaultName);
        for (var i = 0; i < host.Connections; i++)
        {
            vault.SetSecret(string.Create(CultureInfo.InvariantCulture, $"c{i:00}-storage-key"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)));
        }

        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = Path.GetDirectoryName(executable)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        foreach (var argument in new[]
                 {
                     "--connections", host.Connections.ToString(CultureInfo.InvariantCulture), "--vault", server.Endpoint.ToString(),
                     "--pin", pin, "--vault-name", vaultName, "--token-ms", host.TokenMs.ToString(CultureInfo.InvariantCulture),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        if (host.Kind != ColdStartKind.Odibi)
        {
            start.ArgumentList.Add(host.Kind == ColdStartKind.PlainSdk ? "--plain-sdk" : "--tls-probe");
        }

        var launched = DateTime.UtcNow.Ticks;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(LaunchTimeout))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{executable} ({host.Label}) did not exit within {LaunchTimeout.TotalSeconds:F0} s.");
            }
        }

        var values = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("coldstart: ", StringComparison.Ordinal))
            .Select(line => line["coldstart: ".Length..].Split(' ', 2))
            .ToDictionary(parts => parts[0], parts => parts[1]);
        if (process.ExitCode != 0 || !values.TryGetValue("host-started", out var started))
        {
            throw new InvalidOperationException($"{executable} ({host.Label}) exited with {process.ExitCode}: " +
                                                $"{(values.TryGetValue("ready", out var ready) ? $"ready {ready}. " : string.Empty)}{await errors}");
        }

        double SinceLaunch(string ticks) => TimeSpan.FromTicks(long.Parse(ticks, CultureInfo.InvariantCulture) - launched).TotalMilliseconds;
        return new ColdStartLaunch(
            values.TryGetValue("prefetch-done", out var done) ? SinceLaunch(done) : null,
            SinceLaunch(started),
            values.TryGetValue("prefetch-ms", out var prefetch) ? double.Parse(prefetch, CultureInfo.InvariantCulture) : null,
            server.Requests.Count(r => string.Equals(r.VaultName, vaultName, StringComparison.OrdinalIgnoreCase)),
            values.TryGetValue("token-requests", out var tokens) ? int.Parse(tokens, CultureInfo.InvariantCulture) : 0);
    }

    internal static async Task<string> PublishAsync(string root, PublishMode mode)
    {
        var project = Path.Combine(root, "tests", "Odibi.Extensions.ColdStart", "Odibi.Extensions.ColdStart.csproj");
        var output = Path.Combine(root, ".artifacts", "cold-start", mode.Folder());
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "publish", project, "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "-o", output, "--nologo" }.Concat(mode.PublishArguments()))
        {
            start.ArgumentList.Add(argument);
        }

        Console.Error.WriteLine($"cold start: dotnet {string.Join(' ', start.ArgumentList)}");
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Publishing {mode.Label()} failed:\n{await text}\n{await errors}");
        }

        var executable = Path.Combine(output, OperatingSystem.IsWindows() ? "Odibi.Extensions.ColdStart.exe" : "Odibi.Extensions.ColdStart");
        return File.Exists(executable) ? executable : throw new FileNotFoundException($"Publishing {mode.Label()} made no {executable}.");
    }

    /// <summary>Reads the SHA-256 hash of the certificate this process's own LocalKeyVault presents, for the app to pin.</summary>
    internal static async Task<string> GetCertificateHashAsync(Uri endpoint)
    {
        string? hash = null;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            hash = certificate?.GetCertHashString(HashAlgorithmName.SHA256);
            return hash is not null;
        };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(endpoint);
        return hash ?? throw new InvalidOperationException($"No certificate was presented at {endpoint}.");
    }

    /// <summary>Gets the 1-minute load average (Linux), or "n/a".</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static async Task WaitForLoadAsync(double quiet)
    {
        var waited = Stopwatch.StartNew();
        while (double.TryParse(LoadAverage(), CultureInfo.InvariantCulture, out var load) && load >= quiet)
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(30))
            {
                Console.Error.WriteLine($"cold start: the load stayed at or above {quiet} for 30 minutes; measuring anyway (load {load}).");
                return;
            }

            Console.Error.WriteLine($"cold start: 1-minute load {load}, waiting for < {quiet}");
            await Task.Delay(TimeSpan.FromSeconds(10));
        }
    }

    internal static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Odibi.Extensions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Odibi.Extensions.sln was not found above {AppContext.BaseDirectory}.");
    }
}
