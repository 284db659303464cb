using System.Diagnostics;
using System.Globalization;
using Odibi.Extensions.Benchmarks.ColdStart;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>
/// Whether the synchronous Blob API can starve the thread pool: the ColdStart app (its own process, so the vault's
/// server does not share its pool) has 64 thread-pool work items call 64 connections' synchronous
/// <c>BlobContainerClient.Exists()</c> at once against Azurite, with <c>SetMinThreads(2)</c>, on a cold cache (each
/// must first read its key from this process's LocalKeyVault while its pool thread waits), then on a warm one, next to
/// the same calls through the plain SDK with the key in hand (the control: .NET opens new HTTP connections on the thread
/// pool even for synchronous requests, so a starved pool slows it too). Fails (CI runs <c>--quick</c>) when a call
/// fails or the vault was not read exactly once per key; the times are reported, never enforced.
/// </summary>
internal static class SyncStarvation
{
    private const int Calls = 64;

    public static async Task<int> RunAsync(bool quick, string? outFile)
    {
        if (AzuriteEmulator.BlobUrl("sync starvation") is not { } azurite)
        {
            return 2;
        }

        var executable = await ColdStartBenchmark.PublishAsync(ColdStartBenchmark.FindRepositoryRoot(), PublishMode.Jit);
        await using var server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { Latency = TimeSpan.FromMilliseconds(20) });
        var pin = await ColdStartBenchmark.GetCertificateHashAsync(server.Endpoint);
        var vaultName = $"sync{Guid.NewGuid():N}"[..20];
        var vault = server.Vault(vaultName);
        for (var i = 0; i < Calls; i++)
        {
            vault.SetSecret(string.Create(CultureInfo.InvariantCulture, $"c{i:00}-storage-key"), AzuriteEmulator.Key);
        }

        var control = await LaunchAsync(executable, server, pin, vaultName, azurite, plain: true);
        var readsBefore = vault.SecretRequestCount;
        var odibi = await LaunchAsync(executable, server, pin, vaultName, azurite, plain: false);
        if (control is null || odibi is null)
        {
            return 1;
        }

        var reads = vault.SecretRequestCount - readsBefore;
        var table = string.Create(CultureInfo.InvariantCulture,
            $"| {Calls} synchronous Blob calls at once, SetMinThreads(2), {Environment.ProcessorCount} cores | first calls (cold) | again (warm) | pool threads before → after | vault reads | failed |{Environment.NewLine}" +
            $"|---|---|---|---|---|---|{Environment.NewLine}" +
            $"| plain SDK, account key in hand (control) | {control.Cold.TotalMilliseconds:F0} ms | {control.WarmMs:F0} ms | {control.Threads} | 0 | {control.Failed} |{Environment.NewLine}" +
            $"| Odibi keyed clients, no prefetch (each reads its key first) | {odibi.Cold.TotalMilliseconds:F0} ms | {odibi.WarmMs:F0} ms | {odibi.Threads} | {reads} | {odibi.Failed} |");
        Console.WriteLine(table);
        if (outFile is not null)
        {
            DocSection.Replace(outFile, DocSection.SyncCalls, string.Create(CultureInfo.InvariantCulture,
                $"## Synchronous calls on a cold cache\n\nMeasured {DateTime.UtcNow:yyyy-MM-dd} with `--sync-starvation` (needs Azurite, as the soak does). Each row is its own process; the vault is in the harness process.\n\n{table}\n"));
        }
        var met = control.Failed + odibi.Failed == 0 && reads == Calls;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sync starvation{(quick ? " (--quick)" : "")}: Odibi {odibi.Cold.TotalSeconds:F1} s, the plain SDK {control.Cold.TotalSeconds:F1} s ({odibi.Cold / control.Cold:F2}x)"));
        if (!met)
        {
            Console.Error.WriteLine($"SYNC CALLS TARGET MISSED: {control.Failed + odibi.Failed} failed calls, {reads} vault reads for {Calls} keys");
        }

        return met ? 0 : 1;
    }

    private static async Task<SyncRun?> LaunchAsync(string executable, LocalKeyVault server, string pin, string vaultName, string azurite, bool plain)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "--connections", Calls.ToString(CultureInfo.InvariantCulture), "--vault", server.Endpoint.ToString(), "--pin", pin,
                     "--vault-name", vaultName, "--sync-calls", azurite,
                 }.Concat(plain ? ["--sync-plain"] : []))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var line = (await output).Split('\n').FirstOrDefault(l => l.StartsWith("sync: ", StringComparison.Ordinal));
        if (line is null)
        {
            Console.Error.WriteLine($"sync starvation: the app printed no result (exit {process.ExitCode}):\n{await output}\n{await errors}");
            return null;
        }

        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string Value(string name, int offset = 1) => words[Array.IndexOf(words, name) + offset];
        return new SyncRun(
            TimeSpan.FromMilliseconds(double.Parse(Value("cold-ms"), CultureInfo.InvariantCulture)),
            double.Parse(Value("warm-ms"), CultureInfo.InvariantCulture),
            $"{Value("threads")} → {Value("threads", 2)}",
            int.Parse(Value("failed"), CultureInfo.InvariantCulture));
    }

    private sealed record SyncRun(TimeSpan Cold, double WarmMs, string Threads, int Failed);
}
