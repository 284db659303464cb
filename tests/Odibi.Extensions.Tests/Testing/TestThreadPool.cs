namespace Odibi.Extensions.Tests.Testing;

/// <summary>
/// Tests that host a server (LocalKeyVault) inside the test process compete with it for the thread pool; on small
/// machines the pool's slow growth then shows up as timeouts. Call <see cref="EnsureMinThreads"/> first.
/// </summary>
internal static class TestThreadPool
{
    private const int MinThreads = 64;

    public static void EnsureMinThreads()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        if (workers < MinThreads || completionPorts < MinThreads)
        {
            ThreadPool.SetMinThreads(Math.Max(workers, MinThreads), Math.Max(completionPorts, MinThreads));
        }
    }
}
