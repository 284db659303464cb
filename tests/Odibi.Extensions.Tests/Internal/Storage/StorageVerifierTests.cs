using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Odibi.Extensions.Internal.Storage;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Storage;

public sealed class StorageVerifierTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string WrongKey = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
    private const string Verify = "\"VerifyStorage\": true";

    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
        _server.Vault(_vault).SetSecret("good-key", TestConfiguration.AzuriteKey);
        _server.Vault(_vault).SetSecret("wrong-key", WrongKey);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PrefetchAsync_BlockedOnASynchronizationContextWithVerifyStorage_Completes()
    {
        await using var storage = new RefusingStorage();
        // An inline key: nothing to fetch, so the prefetch reaches the storage check on the calling thread.
        using var host = Azurite.Build(OdibiJson($$"""
            "dev": { "Account": "{{Azurite.Account}}", "Container": "bronze", "BlobServiceUri": "{{storage.Url}}", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}" }
            """, prefetch: Verify), _server, output: output);
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        var done = new TaskCompletionSource<PrefetchReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            // A UI-style context whose thread is blocked in GetResult: nothing posted to it ever runs.
            SynchronizationContext.SetSynchronizationContext(new BlockedContext());
            try
            {
                done.SetResult(connections.PrefetchAsync().GetAwaiter().GetResult());
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
        }) { IsBackground = true };

        thread.Start();
        var report = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, report.Failed);
        Assert.Equal(1, storage.Requests);
    }

    [SkippableFact]
    public async Task StartAsync_VerifyStorageAllGood_ReportsEveryConnectionReady()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = Azurite.Build(OdibiJson($$"""
            "bronze": {{Azurite.KeyVaultConnection(url, container, _vault, "good-key")}},
            "dev": { "Account": "{{Azurite.Account}}", "Container": "{{container}}", "BlobServiceUri": "{{url}}", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}" }
            """, prefetch: Verify), _server, output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        await host.StopAsync();

        var report = connections.LastPrefetch!;
        Assert.Equal(["bronze", "dev"], report.Results.Select(r => r.ConnectionName));
        Assert.True(report.AllSucceeded);
        Assert.All(connections, c => Assert.Equal(ConnectionStatus.Ready, c.Status));
    }

    [SkippableFact]
    public async Task StartAsync_VerifyStorageWrongKey_FailsNamingConnectionAndAccountWithoutTheKey()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "wrong-key")}", prefetch: Verify), _server, output: output);

        var error = await Assert.ThrowsAsync<OdibiPrefetchException>(() => host.StartAsync());

        Assert.Contains(
            $"Connection 'bronze' (account {Azurite.Account}) could not open container '{container}' at {url}: 403 AuthorizationFailure. " +
            $"Fix: storage refused the account key: put the current key of account {Azurite.Account} (az storage account keys list --account-name {Azurite.Account}) " +
            $"in secret 'wrong-key' of https://{_vault}.vault.azure.net/", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongKey, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(TestConfiguration.AzuriteKey, error.ToString(), StringComparison.Ordinal);
        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(logs, r => r.Id.Name == "StorageCheckFailed" && r.Message.Contains("'bronze'", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, r => r.Message.Contains(WrongKey, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task HealthCheck_VerifyStorage_ReportsContainerGoneAfterStart()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = Azurite.Build(
            OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "good-key")}"),
            _server,
            b => b.Services.AddHealthChecks().AddOdibiConnections(verifyStorage: true), output: output);
        await host.StartAsync();
        var health = host.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>();

        var before = (await health.CheckHealthAsync()).Entries["odibi-connections"];
        await Azurite.Admin(url).DeleteBlobContainerAsync(container);
        var after = (await health.CheckHealthAsync()).Entries["odibi-connections"];
        await host.StopAsync();

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, before.Status);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, after.Status);
        Assert.Contains("bronze (storage check failed)", after.Description, StringComparison.Ordinal);
        var bronze = Assert.IsType<Dictionary<string, object?>>(after.Data["bronze"]);
        Assert.Contains($"container '{container}'", (string)bronze["error"]!, StringComparison.Ordinal);
        Assert.DoesNotContain(TestConfiguration.AzuriteKey, (string)bronze["error"]!, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task StartAsync_VerifyStorageMissingContainer_FailsWithTheFix()
    {
        var url = await Azurite.RequireAsync();
        var missing = Azurite.UniqueContainer("missing");
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, missing, _vault, "good-key")}", prefetch: Verify), _server, output: output);

        var error = await Assert.ThrowsAsync<OdibiPrefetchException>(() => host.StartAsync());

        Assert.Contains(
            $"Connection 'bronze' (account {Azurite.Account}) could not open container '{missing}' at {url}: 404 ContainerNotFound. " +
            $"Fix: container '{missing}' does not exist in account {Azurite.Account}: create it (az storage container create --account-name {Azurite.Account} --name {missing}) " +
            "or fix Odibi:Connections:bronze:Container.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_VerifyStorageEndpointDown_FailsAsUnreachable()
    {
        var url = $"http://127.0.0.1:{UnusedPort()}/{Azurite.Account}";
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, "data", _vault, "good-key")}", prefetch: Verify), _server, output: output);

        var error = await Assert.ThrowsAsync<OdibiPrefetchException>(() => host.StartAsync());

        Assert.Contains(
            $"Connection 'bronze' (account {Azurite.Account}) could not open container 'data' at {url}: RequestFailedException: ConnectionRefused. " +
            "Fix: check Odibi:Connections:bronze:Account, EndpointSuffix and BlobServiceUri, and that this machine can reach the endpoint",
            error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestConfiguration.AzuriteKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_VerifyStorageSlowEndpoint_TimesOutWithinFetchTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts connections, never answers
        silent.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/{Azurite.Account}";
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, "data", _vault, "good-key")}",
            prefetch: $"{Verify}, \"FetchTimeout\": \"00:00:01\""), _server, output: output);

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<OdibiPrefetchException>(() => host.StartAsync());

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(8));
        Assert.Contains("Connection 'bronze' (account devstoreaccount1) could not open container 'data'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Storage did not answer within 00:00:01 (Odibi:Prefetch:FetchTimeout", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task StartAsync_VerifyStorageDegrade_StartsAndMarksOnlyTheBadConnectionFailed()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = Azurite.Build(OdibiJson($"""
            "bronze": {Azurite.KeyVaultConnection(url, container, _vault, "good-key")},
            "silver": {Azurite.KeyVaultConnection(url, container, _vault, "wrong-key")}
            """, prefetch: $"{Verify}, \"Policy\": \"Degrade\""), _server, output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Ready, connections["bronze"].Status);
        Assert.Equal(ConnectionStatus.Failed, connections["silver"].Status);
        var failed = Assert.Single(connections.LastPrefetch!.Results, r => !r.Success);
        Assert.Equal("silver", failed.ConnectionName);
        Assert.Contains("403 AuthorizationFailure", failed.Error!.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task VerifyAsync_HealthProbe_ReturnsOutcomePerConnectionWithoutChangingStatus()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = Azurite.Build(OdibiJson($"""
            "bronze": {Azurite.KeyVaultConnection(url, container, _vault, "good-key")},
            "silver": {Azurite.KeyVaultConnection(url, Azurite.UniqueContainer("gone"), _vault, "good-key")}
            """), _server, output: output);
        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();

        var checks = await host.Services.GetRequiredService<StorageVerifier>().VerifyAsync(connections, CancellationToken.None);
        await host.StopAsync();

        Assert.Equal(["bronze", "silver"], checks.Select(c => c.Connection.Name));
        Assert.True(checks[0].Success);
        Assert.Contains("404 ContainerNotFound", checks[1].Error!.Message, StringComparison.Ordinal);
        Assert.All(connections, c => Assert.Equal(ConnectionStatus.Ready, c.Status));
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class BlockedContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
        }
    }
}
