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
    public static int Run(IServiceProvider services, int connections)
    {
        ThreadPool.SetMinThreads(2, 2);
        var containers = Enumerable.Range(0, connections)
            .Select(i => services.GetRequiredKeyedService<BlobContainerClient>(string.Create(CultureInfo.InvariantCulture, $"c{i:00}")))
            .ToList();
        var threads = ThreadPool.ThreadCount;
        var (cold, coldFailed) = Once(containers);
        var threadsAfter = ThreadPool.ThreadCount;
        var (warm, warmFailed) = Once(containers);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sync: cold-ms {cold.TotalMilliseconds:F0} warm-ms {warm.TotalMilliseconds:F0} threads {threads} {threadsAfter} failed {coldFailed + warmFailed}"));
        return coldFailed + warmFailed == 0 ? 0 : 1;
    }

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
