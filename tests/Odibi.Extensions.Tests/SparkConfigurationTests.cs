using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests;

/// <summary>One Spark settings map for every connection, from real hosts reading LocalKeyVault.</summary>
public sealed class SparkConfigurationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string KeyA = "a2V5LWE=", KeyB = "a2V5LWI=";

    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Merged_DistinctAndSharedAccounts_EachAccountOnce()
    {
        var vault = UniqueVaultName("spark");
        _server.Vault(vault).SetSecret("key-a", KeyA);
        _server.Vault(vault).SetSecret("key-b", KeyB);
        var settings = await MergedAsync(OdibiJson($"""
            "bronze": {KeyVaultConnection("accounta", vault, "key-a")},
            "bronze2": {KeyVaultConnection("accounta", vault, "key-a")},
            "silver": {KeyVaultConnection("accountb", vault, "key-b")}
            """));

        Assert.Equal(2, settings.Count);
        Assert.Equal(KeyA, settings["fs.azure.account.key.accounta.dfs.core.windows.net"]);
        Assert.Equal(KeyB, settings["fs.azure.account.key.accountb.dfs.core.windows.net"]);
    }

    [Fact]
    public async Task Merged_OneAccountWithDifferentCredentials_FailsNamingBothNeverAValue()
    {
        var vault = UniqueVaultName("spark");
        _server.Vault(vault).SetSecret("key-a", KeyA);
        _server.Vault(vault).SetSecret("key-b", KeyB);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => MergedAsync(OdibiJson($"""
            "bronze": {KeyVaultConnection("accounta", vault, "key-a")},
            "rogue": {KeyVaultConnection("accounta", vault, "key-b")}
            """)));

        Assert.Contains("'bronze' (KeyVault) and 'rogue' (KeyVault) both use account accounta.dfs.core.windows.net", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyA, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyB, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merged_AFailedConnection_FailsNamingIt_OrIsLeftOutWhenAsked()
    {
        var vault = UniqueVaultName("spark");
        _server.Vault(vault).SetSecret("key-a", KeyA);
        var json = OdibiJson($"""
            "bronze": {KeyVaultConnection("accounta", vault, "key-a")},
            "archive": {KeyVaultConnection("accountc", vault, "missing", optional: true)}
            """);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => MergedAsync(json));
        var skipped = await MergedAsync(json, skipUnusable: true);

        Assert.Contains("'archive' is Failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("404", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bronze", error.Message, StringComparison.Ordinal);
        Assert.Equal(["fs.azure.account.key.accounta.dfs.core.windows.net"], skipped.Keys);
    }

    private async Task<IReadOnlyDictionary<string, string>> MergedAsync(string json, bool skipUnusable = false)
    {
        using var host = Build(json, _server, output: output);
        await host.StartAsync();
        try
        {
            return await host.Services.GetRequiredService<IAdlsConnections>().GetSparkConfigurationAsync(skipUnusable);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
