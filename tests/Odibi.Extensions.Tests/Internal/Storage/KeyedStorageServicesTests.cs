using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Storage;

/// <summary>The keyed services <c>AddOdibiConnections</c> registers: <c>[FromKeyedServices("bronze")] BlobContainerClient</c>.</summary>
public sealed class KeyedStorageServicesTests(ITestOutputHelper output) : IAsyncLifetime
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
        var container = host.Services.GetRequiredKeyedService<BlobContainerClient>("bronze");
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

    [Theory]
    [InlineData("gold")]
    [InlineData("BRONZE")]
    [InlineData(42)]
    public void GetKeyedService_NotAConnectionName_ReturnsNull(object key)
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze");

        Assert.Null(host.Services.GetKeyedService<AdlsConnection>(key));
        Assert.Null(host.Services.GetKeyedService<BlobServiceClient>(key));
        Assert.Null(host.Services.GetKeyedService<BlobContainerClient>(key));
        var isKeyed = host.Services.GetRequiredService<IServiceProviderIsKeyedService>();
        Assert.False(isKeyed.IsKeyedService(typeof(BlobContainerClient), key));
        Assert.True(isKeyed.IsKeyedService(typeof(BlobContainerClient), "bronze"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GetKeyedService_AnotherLibrarysRegistrations_BothServeTheirKeys(bool odibiFirst)
    {
        var exact = new BlobServiceClient(new Uri("http://127.0.0.1:10000/exact"));
        var anyKey = new BlobContainerClient(new Uri("http://127.0.0.1:10000/any/container"));
        var anyKeyService = new BlobServiceClient(new Uri("http://127.0.0.1:10000/any"));
        void AddOtherLibrary(IServiceCollection services)
        {
            services.AddKeyedSingleton("reports", exact);
            services.AddKeyedSingleton<BlobServiceClient>(KeyedService.AnyKey, (_, _) => anyKeyService);
            services.AddKeyedSingleton<BlobContainerClient>(KeyedService.AnyKey, (_, _) => anyKey);
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders(); // a passing test prints nothing
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output));
        builder.Configuration.AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(OdibiJson($"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}"))));
        if (!odibiFirst)
        {
            AddOtherLibrary(builder.Services);
        }

        builder.Services.AddOdibiConnections().UseLocalKeyVault(_server);
        if (odibiFirst)
        {
            AddOtherLibrary(builder.Services);
        }

        using var host = builder.Build();

        Assert.Equal(new Uri("https://bronze001.blob.core.windows.net/"), host.Services.GetRequiredKeyedService<BlobServiceClient>("bronze").Uri);
        Assert.Equal("data", host.Services.GetRequiredKeyedService<BlobContainerClient>("bronze").Name);
        Assert.Same(exact, host.Services.GetRequiredKeyedService<BlobServiceClient>("reports"));
        Assert.Same(anyKeyService, host.Services.GetRequiredKeyedService<BlobServiceClient>("archive"));
        Assert.Same(anyKey, host.Services.GetRequiredKeyedService<BlobContainerClient>("reports"));
    }

    [Fact]
    public async Task StartAsync_ConnectionNames_LoggedForSpottingATypo()
    {
        using var host = BuildHost("http://127.0.0.1:10000/devstoreaccount1", "bronze");
        await host.StartAsync();
        await host.StopAsync();

        var names = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "ConnectionsConfigured");
        Assert.StartsWith("Odibi connections: bronze, silver.", names.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "ConnectionNotKeyed");
    }

    [Fact]
    public async Task StartAsync_ConnectionConfiguredAfterRegistration_WarnsItHasNoKeyedServices()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output));
        builder.Services.AddFakeLogging();
        builder.Configuration.AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(OdibiJson($"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}"))));
        builder.Services.AddOdibiConnections().UseLocalKeyVault(_server);
        builder.Configuration["Odibi:Connections:late:Account"] = "late001";
        builder.Configuration["Odibi:Connections:late:Container"] = "data";
        builder.Configuration["Odibi:Connections:late:AuthMode"] = "DirectKey";
        builder.Configuration["Odibi:Connections:late:AccountKey"] = TestConfiguration.AzuriteKey;
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        Assert.Null(host.Services.GetKeyedService<AdlsConnection>("late"));
        Assert.NotNull(host.Services.GetRequiredService<IAdlsConnections>()["late"]);
        var warning = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "ConnectionNotKeyed");
        Assert.Contains("Connection 'late' has no keyed services", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetKeyedService_ConnectionsInCode_KeyedByTheirNames()
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(options => options.Connections["dev"] = new AdlsConnectionOptions
        {
            Account = "dev001", Container = "data", AuthMode = AdlsAuthMode.DirectKey, AccountKey = TestConfiguration.AzuriteKey,
        });
        using var provider = services.BuildServiceProvider();

        Assert.Equal("dev001", provider.GetRequiredKeyedService<AdlsConnection>("dev").Account);
        Assert.Null(provider.GetKeyedService<AdlsConnection>("prod"));
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
            """, prefetch: "\"FetchTimeout\": \"00:05:00\", \"StartupTimeout\": \"00:05:00\""), _server, output: output);

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
            """, prefetch: $"\"Policy\": \"{policy}\""), _server, builder => builder.Services.AddSingleton<BronzeReader>(), output: output);

    private sealed class BronzeReader([FromKeyedServices("bronze")] BlobContainerClient container)
    {
        public BlobContainerClient Container { get; } = container;
    }
}
