using Azure;
using Azure.Storage;
using Azure.Storage.Sas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Internal.Storage;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Storage;

public sealed class StorageKeyRotationPolicyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string OldKey = "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleS1vbGQta2V5LW9sZC1rZXk=";

    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
        _server.Vault(_vault).SetSecret("bronze-key", OldKey); // Azurite accepts only its well-known key
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [SkippableFact]
    public async Task SyncRequest_ColdCache_ReadsTheKeyOnTheCallingThreadWithSyncCalls()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        _server.Vault(_vault).SetSecret("lake-key", TestConfiguration.AzuriteKey);
        var vaultThreads = new System.Collections.Concurrent.ConcurrentBag<(int Thread, bool Sync)>();
        using var host = Azurite.Build(OdibiJson($"\"lake\": {Azurite.KeyVaultConnection(url, container, _vault, "lake-key")}"), _server,
            builder => builder.Services.AddOdibiConnections().ConfigureSecretClient(o => o.AddPolicy(new ThreadRecorder(vaultThreads), Azure.Core.HttpPipelinePosition.PerCall)), output: output);
        var client = host.Services.GetRequiredKeyedService<Azure.Storage.Blobs.BlobContainerClient>("lake"); // not started: the cache is cold

        var caller = 0;
        var exists = await Task.Run(() =>
        {
            caller = Environment.CurrentManagedThreadId;
            return client.Exists().Value; // the synchronous Blob API
        });

        Assert.True(exists);
        Assert.NotEmpty(vaultThreads);
        Assert.All(vaultThreads, r => Assert.Equal((caller, true), r)); // the key was read by this thread, with the SDK's synchronous calls
    }

    /// <summary>Records the thread each vault request is sent on, and whether it went through the synchronous pipeline.</summary>
    private sealed class ThreadRecorder(System.Collections.Concurrent.ConcurrentBag<(int Thread, bool Sync)> seen) : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            seen.Add((Environment.CurrentManagedThreadId, true));
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            seen.Add((Environment.CurrentManagedThreadId, false));
            return ProcessNextAsync(message, pipeline);
        }
    }

    [SkippableFact]
    public async Task Request_KeyRotatedInVault_HealsWithOneSecretReadAfterTheBackOff()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "bronze-key")}"), _server,
            builder => builder.Services.AddSingleton<TimeProvider>(time), output: output);
        await host.StartAsync();
        var client = await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetBlobContainerClientAsync();

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetPropertiesAsync());
        _server.Vault(_vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey); // the key is rotated
        time.Advance(RotatingStorageSecret.InitialBackOff); // the still-refused key was read once: the next read waits out the back-off
        var readsBefore = SecretReads();
        await client.UploadBlobAsync("after-rotation.txt", BinaryData.FromString("healed"));
        var readsAfter = SecretReads();
        await client.GetPropertiesAsync();
        await host.StopAsync();

        Assert.Equal(403, refused.Status);
        Assert.Equal("AuthorizationFailure", refused.ErrorCode);
        Assert.Equal(readsBefore + 1, readsAfter);
        Assert.Equal(readsAfter, SecretReads());
        Assert.True(await Azurite.Admin(url).GetBlobContainerClient(container).GetBlobClient("after-rotation.txt").ExistsAsync());
        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(logs, r => r.Id.Name == "StorageSecretStillRefused" && r.Message.Contains("'bronze'", StringComparison.Ordinal));
        Assert.Contains(logs, r => r.Id.Name == "StorageSecretRenewed");
        Assert.DoesNotContain(logs, r => r.Message.Contains(OldKey, StringComparison.Ordinal) || r.Message.Contains(TestConfiguration.AzuriteKey, StringComparison.Ordinal));
        Assert.Equal(TestConfiguration.AzuriteKey, await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetStorageKeyAsync());
    }

    [Fact]
    public async Task Request_StorageRefusesEveryRequest_ReadsTheVaultAtMostTwiceAndLogsOnce()
    {
        await using var storage = new RefusingStorage();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(storage.Url, "bronze", _vault, "bronze-key")}"), _server,
            builder => builder.Services.AddSingleton<TimeProvider>(time), output: output);
        await host.StartAsync();
        var client = await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetBlobContainerClientAsync();

        for (var i = 0; i < 20; i++)
        {
            var refused = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetPropertiesAsync());
            Assert.Equal("AuthorizationFailure", refused.ErrorCode);
        }

        var readsOver20Calls = SecretReads();
        time.Advance(RotatingStorageSecret.InitialBackOff);
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetPropertiesAsync());
        var readsAfterBackOff = SecretReads();
        await host.StopAsync();

        Assert.Equal(21, storage.Requests);
        Assert.Equal(2, readsOver20Calls); // the startup read, and one re-read of the refused value
        Assert.Equal(3, readsAfterBackOff); // after the back-off the vault is asked once more
        Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "StorageSecretStillRefused");
    }

    [SkippableFact]
    public async Task Request_BackingOffWhenRefreshBringsNewKey_HealsAtOnce()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "bronze-key")}"), _server,
            builder => builder.Services.AddSingleton<TimeProvider>(time), output: output);
        await host.StartAsync();
        var connections = host.Services.GetRequiredService<AdlsConnections>();
        var client = await connections["bronze"].GetBlobContainerClientAsync();
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetPropertiesAsync()); // re-read once, same key: backing off
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetPropertiesAsync()); // backing off: no read

        _server.Vault(_vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey);
        await connections.RefreshAsync(CancellationToken.None);
        var readsAfterRefresh = SecretReads();
        await client.GetPropertiesAsync(); // the back-off has not passed, but the client follows the refreshed value
        await host.StopAsync();

        Assert.Equal(readsAfterRefresh, SecretReads());
    }

    [SkippableFact]
    public async Task Request_ManyRefusedAtOnce_ReadTheVaultOnce()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "bronze-key")}"), _server, output: output);
        await host.StartAsync();
        var client = await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetBlobContainerClientAsync();
        _server.Vault(_vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey);
        var readsBefore = SecretReads();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => client.UploadBlobAsync($"blob-{i}.txt", BinaryData.FromString("x")))));
        var readsAfter = SecretReads();
        await host.StopAsync();

        Assert.Equal(readsBefore + 1, readsAfter);
    }

    [SkippableFact]
    public async Task Request_AfterBackgroundRefresh_UsesTheNewKeyWithoutBeingRefused()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "bronze-key")}"), _server, output: output);
        await host.StartAsync();
        var connections = host.Services.GetRequiredService<AdlsConnections>();
        var client = await connections["bronze"].GetBlobContainerClientAsync();
        _server.Vault(_vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey);

        await connections.RefreshAsync(CancellationToken.None);
        var readsAfterRefresh = SecretReads();
        await client.GetPropertiesAsync();
        await host.StopAsync();

        Assert.Equal(readsAfterRefresh, SecretReads());
        Assert.DoesNotContain(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name?.StartsWith("StorageSecret", StringComparison.Ordinal) == true);
    }

    [SkippableFact]
    public async Task SyncRequest_SasRotatedInVault_HealsWithOneSecretReadAfterTheBackOff()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _server.Vault(_vault).SetSecret("bronze-key", Sas(new StorageSharedKeyCredential(Azurite.Account, OldKey))); // signed with a key Azurite does not have
        using var host = Azurite.Build(OdibiJson($$"""
            "bronze": { "Account": "{{Azurite.Account}}", "Container": "{{container}}", "BlobServiceUri": "{{url}}",
                        "AuthMode": "SasToken", "KeyVaultName": "{{_vault}}", "SecretName": "bronze-key" }
            """), _server, builder => builder.Services.AddSingleton<TimeProvider>(time), output: output);
        await host.StartAsync();
        var client = await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetBlobContainerClientAsync();

        var refused = Assert.Throws<RequestFailedException>(() => client.GetProperties());
        _server.Vault(_vault).SetSecret("bronze-key", Sas(new StorageSharedKeyCredential(Azurite.Account, TestConfiguration.AzuriteKey)));
        time.Advance(RotatingStorageSecret.InitialBackOff);
        var readsBefore = SecretReads();
        client.GetProperties();
        var readsAfter = SecretReads();
        await host.StopAsync();

        Assert.Equal(403, refused.Status);
        Assert.Equal(readsBefore + 1, readsAfter);
    }

    private static string Sas(StorageSharedKeyCredential key) =>
        new AccountSasBuilder(AccountSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1), AccountSasServices.Blobs, AccountSasResourceTypes.All)
            .ToSasQueryParameters(key).ToString();

    private int SecretReads() =>
        _server.Requests.Count(r => r.Method == "GET" && r.VaultName == _vault && r.SecretName == "bronze-key" && r.HasToken);
}
