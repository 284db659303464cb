using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Storage;

/// <summary>The keyed services <c>AddOdibiConnections</c> registers: <c>[FromKeyedServices("bronze")] BlobContainerClient</c>.</summary>
public sealed class KeyedStorageServicesTests : IAsyncLifetime
{
    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
        _server.Vault(_vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey);
        _server.Vault(_vault).SetSecret("silver-key", TestConfiguration.AzuriteKey);
        _server.Vault(_vault).InjectFault("silver-key", LocalKeyVaultFault.Status(403).Always());
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetRequiredKeyedService_ConnectionName_ResolvesItsConnectionAndClients()
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze");
        await host.StartAsync();

        var connection = host.Services.GetRequiredKeyedService<AdlsConnection>("bronze");
        var service = host.Services.GetRequiredKeyedService<BlobServiceClient>("bronze");
        var container = host.Services.GetRequiredKeyedService<BlobContainerClient>("BRONZE");
        var reader = host.Services.GetRequiredService<BronzeReader>();
        await host.StopAsync();

        Assert.Same(host.Services.GetRequiredService<IAdlsConnections>()["bronze"], connection);
        Assert.Same(await connection.CreateBlobServiceClientAsync(), service);
        Assert.Equal("bronze", container.Name);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1/bronze"), container.Uri);
        Assert.Same(host.Services.GetRequiredKeyedService<BlobContainerClient>("bronze"), reader.Container);
    }

    [Fact]
    public void GetService_WithoutKey_FindsNothing()
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze");

        Assert.Null(host.Services.GetService<BlobContainerClient>());
        Assert.Null(host.Services.GetService<BlobServiceClient>());
        Assert.Null(host.Services.GetService<AdlsConnection>());
    }

    [Fact]
    public void GetRequiredKeyedService_UnknownName_ThrowsListingConfiguredNames()
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze");

        var error = Assert.Throws<KeyNotFoundException>(() => host.Services.GetRequiredKeyedService<BlobContainerClient>("gold"));

        Assert.Equal(
            "No Odibi connection is named 'gold'. Configured connections: bronze, silver. Fix the name, or add the connection under Odibi:Connections:gold.",
            error.Message);
    }

    [Fact]
    public void GetRequiredKeyedService_KeyNotAString_ThrowsSayingConnectionsAreKeyedByName()
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze");

        var error = Assert.Throws<KeyNotFoundException>(() => host.Services.GetRequiredKeyedService<BlobServiceClient>(42));

        Assert.Contains("keyed by their name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRequiredKeyedService_SecretFailed_ResolvesAndEachRequestFailsNamingTheConnection()
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze", policy: "Degrade");
        await host.StartAsync();

        var requests = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            var client = host.Services.GetRequiredKeyedService<BlobContainerClient>("silver");
            return await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetPropertiesAsync());
        })));
        await host.StopAsync();

        Assert.All(requests, error => Assert.StartsWith(
            $"Connection 'silver' (account silver001) could not read secret 'silver-key' from https://{_vault}.vault.azure.net/: 403", error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetRequiredKeyedService_HungSecret200Concurrent_ReturnWithoutReadingTheVault()
    {
        _server.Vault(_vault).SetSecret("gold-key", TestConfiguration.AzuriteKey);
        _server.Vault(_vault).InjectFault("gold-key", LocalKeyVaultFault.Hang().Always());
        using var host = Azurite.Build(OdibiJson($"""
            "gold": {KeyVaultConnection("gold001", _vault, "gold-key")}
            """, prefetch: "\"FetchTimeout\": \"00:05:00\", \"StartupTimeout\": \"00:05:00\""), _server);

        var resolutions = Enumerable.Range(0, 200).Select(i => Task.Run(() => i % 2 == 0
            ? (object)host.Services.GetRequiredKeyedService<BlobContainerClient>("gold")
            : host.Services.GetRequiredKeyedService<BlobServiceClient>("gold"))).ToList();

        // A guard, not a measurement: resolving does no I/O, so nothing here waits for the hung read.
        await Task.WhenAll(resolutions).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, _server.Requests.Count(r => r.SecretName == "gold-key"));
        Assert.Equal(ConnectionStatus.Pending, host.Services.GetRequiredKeyedService<AdlsConnection>("gold").Status);
    }

    [Fact]
    public void GetRequiredKeyedService_BeforeStart_ReadsNoSecret()
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze");

        var first = host.Services.GetRequiredKeyedService<BlobServiceClient>("bronze");
        var container = host.Services.GetRequiredKeyedService<BlobContainerClient>("bronze");

        Assert.Equal("bronze", container.Name);
        Assert.Same(first, host.Services.GetRequiredKeyedService<BlobServiceClient>("bronze"));
        Assert.Equal(0, _server.Requests.Count(r => r.SecretName == "bronze-key"));
    }

    [SkippableFact]
    public async Task KeyedContainerClient_AgainstAzurite_UploadsAndDownloads()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        using var host = BuildHost(url, container);
        await host.StartAsync();

        var client = host.Services.GetRequiredKeyedService<BlobContainerClient>("bronze");
        await client.UploadBlobAsync("keyed.txt", BinaryData.FromString("through the key"));
        var content = await client.GetBlobClient("keyed.txt").DownloadContentAsync();
        await host.StopAsync();

        Assert.Equal("through the key", content.Value.Content.ToString());
    }

    private IHost BuildHost(string url, string container, string policy = "FailFast") => Azurite.Build(OdibiJson($"""
            "bronze": {Azurite.KeyVaultConnection(url, container, _vault, "bronze-key")},
            "silver": {KeyVaultConnection("silver001", _vault, "silver-key", optional: true)}
            """, prefetch: $"\"Policy\": \"{policy}\""), _server, builder => builder.Services.AddSingleton<BronzeReader>());

    private sealed class BronzeReader([FromKeyedServices("bronze")] BlobContainerClient container)
    {
        public BlobContainerClient Container { get; } = container;
    }
}
