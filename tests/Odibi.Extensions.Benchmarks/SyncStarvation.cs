using System.Diagnostics;
using System.Globalization;
using Odibi.Extensions.Benchmarks.ColdStart;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>
/// Whether the synchronous Blob API can starve the thread pool: the ColdStart app (its own process, so the vault's
/// server does not share its pool) has 64 thread-pool work items call 64 connections' synchronous
/// <c>BlobContainerClient.Exists()</c> at once against Azurite, with <c>SetMinThreads(2)</c>, on a cold cache (each
/// must first read its key from this process's LocalKeyVault while its pool thread waits), then on a warm one. A pool
/// that starved adds a thread about every half second and takes many seconds. <c>--quick</c> (CI) fails when a call
/// fails, when the vault was read more than once per key, or when the cold calls take over 10 s.
/// </summary>
internal static class SyncStarvation
{
    private const int Calls = 64;
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan ColdLimit = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(bool quick)
    {
        var azurite = Environment.GetEnvironmentVariable("ODIBI_AZURITE_BLOB_URL")?.TrimEnd('/');
        if (string.IsNullOrEmpty(azurite))
        {
            Console.Error.WriteLine("sync starvation: ODIBI_AZURITE_BLOB_URL is not set; start Azurite with: eval \"$(bash eng/azurite.sh start)\"");
            return 2;
        }

        var executable = await ColdStartBenchmark.PublishAsync(ColdStartBenchmark.FindRepositoryRoot(), PublishMode.Jit);
        await using var server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { Latency = TimeSpan.FromMilliseconds(20) });
        var pin = await ColdStartBenchmark.GetCertificateHashAsync(server.Endpoint);
        var vaultName = $"sync{Guid.NewGuid():N}"[..20];
        var vault = server.Vault(vaultName);
        for (var i = 0; i < Calls; i++)
        {
            vault.SetSecret(string.Create(CultureInfo.InvariantCulture, $"c{i:00}-storage-key"), AzuriteKey);
        }

        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "--connections", Calls.ToString(CultureInfo.InvariantCulture), "--vault", server.Endpoint.ToString(), "--pin", pin,
                     "--vault-name", vaultName, "--sync-calls", azurite,
                 })
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
            return 1;
        }

        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string Value(string name, int offset = 1) => words[Array.IndexOf(words, name) + offset];
        var cold = TimeSpan.FromMilliseconds(double.Parse(Value("cold-ms"), CultureInfo.InvariantCulture));
        var warm = double.Parse(Value("warm-ms"), CultureInfo.InvariantCulture);
        var failed = int.Parse(Value("failed"), CultureInfo.InvariantCulture);
        var reads = vault.SecretRequestCount;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| synchronous Blob calls at once, SetMinThreads(2) | cold cache (each reads its key) | warm cache | pool threads before → after | vault reads | failed |{Environment.NewLine}" +
            $"|---|---|---|---|---|---|{Environment.NewLine}" +
            $"| {Calls}, {Environment.ProcessorCount} cores | {cold.TotalMilliseconds:F0} ms | {warm:F0} ms | {Value("threads")} → {Value("threads", 2)} | {reads} | {failed} |"));
        var met = failed == 0 && process.ExitCode == 0 && reads == Calls && cold <= ColdLimit;
        if (!met)
        {
            Console.Error.WriteLine($"SYNC STARVATION TARGET MISSED: {failed} failed, {reads} vault reads for {Calls} keys, cold {cold.TotalSeconds:F1} s (limit {ColdLimit.TotalSeconds:F0} s){(quick ? " --quick" : "")}\n{await errors}");
        }

        return met ? 0 : 1;
    }
}
