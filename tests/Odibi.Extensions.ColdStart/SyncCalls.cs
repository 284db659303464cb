using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;

namespace Odibi.Extensions.ColdStart;

/// <summary>
/// N thread-pool work items call N connections' synchronous <c>BlobContainerClient.Exists()</c> at once, with the pool
/// at two threads: on a cold cache each must first read its key from the vault while its pool thread waits. Prints how
/// long that took, the same on a warm cache, and the pool's thread counts. The vault is in another process, so only this
/// client's use of the pool is measured.
/// </summary>
internal static class SyncCalls
{
    /// <summary>Runs the calls through Odibi's keyed clients, or (<paramref name="plain"/>) through the plain SDK with the key in hand: the control.</summary>
    public static int Run(IServiceProvider services, int connections, Uri blob, bool plain)
    {
        ThreadPool.SetMinThreads(2, 2);
        var key = new Azure.Storage.StorageSharedKeyCredential("devstoreaccount1", AzuriteKey);
        var containers = Enumerable.Range(0, connections)
            .Select(i => plain
                ? new BlobServiceClient(blob, key).GetBlobContainerClient("lake")
                : services.GetRequiredKeyedService<BlobContainerClient>(string.Create(CultureInfo.InvariantCulture, $"c{i:00}")))
            .ToList();
        var threads = ThreadPool.ThreadCount;
        var (cold, coldFailed) = Once(containers);
        var threadsAfter = ThreadPool.ThreadCount;
        var (warm, warmFailed) = Once(containers);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sync: cold-ms {cold.TotalMilliseconds:F0} warm-ms {warm.TotalMilliseconds:F0} threads {threads} {threadsAfter} failed {coldFailed + warmFailed}"));
        return coldFailed + warmFailed == 0 ? 0 : 1;
    }

    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static (TimeSpan Elapsed, int Failed) Once(List<BlobContainerClient> containers)
    {
        var failed = 0;
        using var go = new ManualResetEventSlim();
        using var done = new CountdownEvent(containers.Count);
        foreach (var container in containers)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                go.Wait();
                try
                {
                    _ = container.Exists(); // synchronous
                }
#pragma warning disable CA1031 // Counted: the harness fails the run on any.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    if (Interlocked.Increment(ref failed) == 1)
                    {
                        Console.Error.WriteLine($"sync: {exception.GetType().Name}: {exception.Message.Split('\n')[0]}");
                    }
                }
                finally
                {
                    done.Signal();
                }
            }, null);
        }

        var clock = Stopwatch.StartNew();
        go.Set();
        done.Wait(TimeSpan.FromMinutes(2));
        return (clock.Elapsed, failed);
    }
}
