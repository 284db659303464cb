using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests;

public sealed class PrefetchReportTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ToString_ConnectionWithNothingToFetch_CountsAndNamesIt()
    {
        var vault = UniqueVaultName();
        _server.Vault(vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey);
        using var host = Build(OdibiJson($$"""
            "bronze": {{KeyVaultConnection("bronze001", vault, "bronze-key")}},
            "dev": { "Account": "dev001", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}" },
            "inline": { "Account": "inline001", "Container": "data", "AuthMode": "SasToken", "SasToken": "sv=2022-11-02&sig=abc" }
            """), _server, output: output);

        await host.StartAsync();
        var report = host.Services.GetRequiredService<IAdlsConnections>().LastPrefetch!;
        await host.StopAsync();

        Assert.Equal(["dev", "inline"], report.NothingToFetch);
        Assert.Equal(3, report.ConnectionCount);
        Assert.Equal("bronze", Assert.Single(report.Results).ConnectionName);
        Assert.Matches(@"^3 of 3 connections ready in \d+ ms \(dev, inline needed nothing fetched\)$", report.ToString());
    }
}
