using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;

namespace Odibi.Extensions.Tests.Samples;

/// <summary>The README's "Testing your app with LocalKeyVault" example, kept compiling and passing.</summary>
public sealed class ReadmeExampleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LocalKeyVault_ReadmeExample_StartsAppAgainstLocalVault()
    {
        // README: testing-with-localkeyvault
        await using var vault = await LocalKeyVault.StartAsync();
        vault.Vault("my-production-kv").SetSecret("bronze-storage-key", "dGVzdC1rZXk=");

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders(); // not in the README: a passing test prints nothing
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output)); // not in the README: a failing test shows the log
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Odibi:Connections:bronze:Account"] = "dlsbronzeprod001",
            ["Odibi:Connections:bronze:Container"] = "bronze",
            ["Odibi:Connections:bronze:AuthMode"] = "KeyVault",
            ["Odibi:Connections:bronze:KeyVaultName"] = "my-production-kv",
            ["Odibi:Connections:bronze:SecretName"] = "bronze-storage-key",
        });
        builder.Services.AddOdibiConnections().UseLocalKeyVault(vault);

        using var host = builder.Build();
        await host.StartAsync();

        var bronze = host.Services.GetRequiredService<IAdlsConnections>()["bronze"];
        Assert.Equal("dGVzdC1rZXk=", await bronze.GetStorageKeyAsync());
        Assert.Equal(1, vault.Credential.Count);
        // README: end
        await host.StopAsync();
    }
}
