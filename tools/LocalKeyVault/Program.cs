using System.Net.Sockets;
using System.Runtime.InteropServices;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tools.LocalKeyVault;

// LocalKeyVault as a standalone server: an HTTPS proxy for the Key Vault hosts, a managed-identity endpoint and an
// admin API on one port of 127.0.0.1. Prints one ready line, then serves until Ctrl+C or SIGTERM.
if (!CommandLine.TryParse(args, out CommandLine? command, out string? error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

if (command.Help)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

using var stop = new CancellationTokenSource();
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

LocalKeyVaultProxy proxy;
try
{
    proxy = await LocalKeyVaultProxy.StartAsync(command.ProxyOptions, command.ServerOptions, stop.Token);
}
catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"LocalKeyVault: port {command.ProxyOptions.Port} on 127.0.0.1 is in use: pass another --port (0 picks a free one).");
    return 1;
}
catch (ArgumentException ex)
{
    // A vault name or the tenant: the message names the value; the flag is the fix.
    string message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
    Console.Error.WriteLine($"LocalKeyVault: {message} Fix --vault (or the --seed file's vault names) or --tenant.");
    return 1;
}
catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"LocalKeyVault: {ex.Message}");
    return 1;
}

await using (proxy)
{
    if (command.EnvFile is { } envFile)
    {
        await File.WriteAllTextAsync(envFile, ReadyLine.EnvFile(proxy));
    }

    Console.WriteLine(ReadyLine.Format(proxy));
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
        // Ctrl+C or SIGTERM: stop below.
    }
}

Console.WriteLine("LocalKeyVault stopped.");
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true; // stop cleanly instead of letting the runtime end the process
    stop.Cancel();
}
