using System.Security.Cryptography.X509Certificates;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Loads the machine's trusted root certificates once per process, on the thread pool, while a vault's first request
/// waits for its token. The first TLS handshake of a process validates the server's chain against them, and reading them
/// (a directory of certificates on Linux) is part of what a cold process's first HTTPS request costs; loaded here, it
/// overlaps the token instead. Nothing is sent anywhere; where the store cannot be read, the handshake reads it as it
/// would have.
/// </summary>
internal static class TrustedRootsWarmUp
{
    private static int s_started;

    /// <summary>Starts the load, the first time only.</summary>
    public static void Start()
    {
        if (Volatile.Read(ref s_started) != 0 || Interlocked.Exchange(ref s_started, 1) != 0)
        {
            return;
        }

        _ = Task.Run(static () =>
        {
            try
            {
                using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                foreach (var certificate in store.Certificates)
                {
                    certificate.Dispose();
                }
            }
            catch (Exception)
            {
                // No readable store (or none on this platform): the handshake meets the same and reports it.
            }
        });
    }

    /// <summary>Gets whether the load has been started in this process.</summary>
    internal static bool Started => Volatile.Read(ref s_started) != 0;
}
