using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Odibi.Extensions.Tests.Infrastructure;

namespace Odibi.Extensions.Tests.Samples;

/// <summary>
/// The Medallion sample run as users run the built app, in its own process: the proxy and identity endpoint variables
/// must be set before its first HttpClient exists, which a test inside this process cannot do.
/// </summary>
public sealed class MedallionTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task Run_EveryModeWithAzureUnreachable_ReadyWithoutLeavingTheMachine()
    {
        var closed = ClosedPort();
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production", // not Development: the local vault is the default regardless
            ["AZURE_AUTHORITY_HOST"] = $"https://127.0.0.1:{closed}/",
            ["IDENTITY_ENDPOINT"] = $"http://127.0.0.1:{closed}/msi/token",
            ["IDENTITY_HEADER"] = "local",
            ["MSI_ENDPOINT"] = $"http://127.0.0.1:{closed}/msi/token",
            ["IMDS_ENDPOINT"] = $"http://127.0.0.1:{closed}",
            ["HTTPS_PROXY"] = $"http://127.0.0.1:{closed}",
            ["HTTP_PROXY"] = $"http://127.0.0.1:{closed}",
            ["NO_PROXY"] = "127.0.0.1,localhost",
            ["Odibi__Prefetch__FetchTimeout"] = "00:00:10",
            ["Odibi__Connections__dev__Account"] = "devstore001",
            ["Odibi__Connections__dev__Container"] = "data",
            ["Odibi__Connections__dev__AuthMode"] = "DirectKey",
            ["Odibi__Connections__dev__AccountKey"] = TestConfiguration.AzuriteKey,
            ["Odibi__Connections__spn__Account"] = "spnstore001",
            ["Odibi__Connections__spn__Container"] = "lake",
            ["Odibi__Connections__spn__AuthMode"] = "ServicePrincipal",
            ["Odibi__Connections__spn__TenantId"] = "10ca1ca1-7e57-4000-8000-000000000002",
            ["Odibi__Connections__spn__ClientId"] = "10ca1ca1-7e57-4000-8000-000000000003",
            ["Odibi__Connections__spn__KeyVaultName"] = "my-production-kv",
            ["Odibi__Connections__spn__SecretName"] = "spn-client-secret",
            ["Odibi__Connections__mi__Account"] = "mistore001",
            ["Odibi__Connections__mi__Container"] = "lake",
            ["Odibi__Connections__mi__AuthMode"] = "ManagedIdentity",
            ["Odibi__Connections__miuser__Account"] = "miuserstore001",
            ["Odibi__Connections__miuser__Container"] = "lake",
            ["Odibi__Connections__miuser__AuthMode"] = "ManagedIdentity",
            ["Odibi__Connections__miuser__ClientId"] = "10ca1ca1-7e57-4000-8000-000000000004",
        };

        var (exitCode, output) = await RunAsync([], environment);

        Assert.True(exitCode == 0, output);
        Assert.StartsWith("Medallion: local Key Vault", output, StringComparison.Ordinal);
        Assert.Contains("9 of 9 connections ready", output, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Warehouse: read from Key Vault (44 characters)", output, StringComparison.Ordinal);
        Assert.Contains("(dev needed nothing fetched)", output, StringComparison.Ordinal);
        Assert.Contains("Health: Healthy", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--fail nosuch", "--fail: 'nosuch' is not a connection that reads Key Vault; use one of: archive, bronze, gold, partner, silver.")]
    [InlineData("--fail", "--fail needs a value.")]
    [InlineData("--policy Sometimes", "--policy 'Sometimes' is not a policy.")]
    [InlineData("--verbose", "'--verbose' is not an option.")]
    public async Task Run_BadArguments_PrintsTheProblemAndUsage(string arguments, string problem)
    {
        var (exitCode, output) = await RunAsync(arguments.Split(' '), []);

        Assert.Equal(64, exitCode);
        Assert.Equal([problem, "usage: Medallion [--azure] [--fail <connection>]... [--policy FailFast|Degrade|Background] [--verify-storage] [--help]"],
            output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Run_FailTwoConnections_BothFailAndTheHostDoesNotStart()
    {
        var (exitCode, output) = await RunAsync(["--fail", "bronze", "--fail", "silver"], []);

        Assert.Equal(1, exitCode);
        Assert.Contains("2 of 5 Odibi connections could not be prepared", output, StringComparison.Ordinal);
        Assert.Contains("  - Connection 'bronze'", output, StringComparison.Ordinal);
        Assert.Contains("  - Connection 'silver'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Help_DescribesEveryOptionAndExitCode()
    {
        var (exitCode, output) = await RunAsync(["--help"], []);

        Assert.Equal(0, exitCode);
        foreach (var text in new[] { "--azure", "--fail <connection>", "--policy <policy>", "--verify-storage", "--help", "exit codes:", "  0 ", "  1 ", "  2 ", "  3 ", "  4 ", "  64 " })
        {
            Assert.Contains(text, output, StringComparison.Ordinal);
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed: connections are refused
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, Dictionary<string, string> environment)
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(Path.Combine(root, "samples", "Medallion", "bin", Configuration, "net10.0", "Medallion.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in new[] { "DOTNET_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
