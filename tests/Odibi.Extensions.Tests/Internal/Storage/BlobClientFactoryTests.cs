using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Storage;

public sealed class BlobClientFactoryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [SkippableFact]
    public async Task CreateBlobServiceClientAsync_KeyFromKeyVault_UploadsListsAndDownloads()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        _server.Vault(_vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "bronze-key")}"), _server, output: output);
        await host.StartAsync();
        var bronze = host.Services.GetRequiredService<IAdlsConnections>()["bronze"];

        var client = await bronze.GetBlobContainerClientAsync();
        await client.UploadBlobAsync("raw/orders.csv", BinaryData.FromString("id,amount\n1,9.5\n"));
        var names = new List<string>();
        await foreach (var blob in client.GetBlobsAsync(new GetBlobsOptions { Prefix = "raw/" }))
        {
            names.Add(blob.Name);
        }

        var downloaded = await client.GetBlobClient("raw/orders.csv").DownloadContentAsync();
        await host.StopAsync();

        Assert.Equal(["raw/orders.csv"], names);
        Assert.Equal("id,amount\n1,9.5\n", downloaded.Value.Content.ToString());
        Assert.Equal(container, client.Name);
        Assert.True(await Azurite.Admin(url).GetBlobContainerClient(container).GetBlobClient("raw/orders.csv").ExistsAsync());
    }

    [SkippableFact]
    public async Task CreateBlobServiceClientAsync_SasTokenFromKeyVault_UploadsAndLists()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        var sas = new AccountSasBuilder(AccountSasPermissions.Read | AccountSasPermissions.Write | AccountSasPermissions.List | AccountSasPermissions.Create,
                DateTimeOffset.UtcNow.AddHours(1), AccountSasServices.Blobs, AccountSasResourceTypes.All)
            .ToSasQueryParameters(new StorageSharedKeyCredential(Azurite.Account, TestConfiguration.AzuriteKey)).ToString();
        _server.Vault(_vault).SetSecret("partner-sas", "?" + sas);
        using var host = Azurite.Build(OdibiJson($$"""
            "partner": { "Account": "{{Azurite.Account}}", "Container": "{{container}}", "BlobServiceUri": "{{url}}",
                         "AuthMode": "SasToken", "KeyVaultName": "{{_vault}}", "SecretName": "partner-sas" }
            """), _server, output: output);
        await host.StartAsync();
        var partner = host.Services.GetRequiredService<IAdlsConnections>()["partner"];

        var client = await partner.GetBlobContainerClientAsync();
        await client.UploadBlobAsync("in/file.json", BinaryData.FromString("{}"));
        var names = new List<string>();
        await foreach (var blob in client.GetBlobsAsync(new GetBlobsOptions()))
        {
            names.Add(blob.Name);
        }

        await host.StopAsync();

        Assert.Equal(["in/file.json"], names);
    }

    [SkippableFact]
    public async Task GetConnectionStringAsync_KeyWithBlobServiceUri_OpensTheEmulator()
    {
        var url = await Azurite.RequireAsync();
        var container = await Azurite.CreateContainerAsync(url);
        _server.Vault(_vault).SetSecret("bronze-key", TestConfiguration.AzuriteKey);
        using var host = Azurite.Build(OdibiJson($"\"bronze\": {Azurite.KeyVaultConnection(url, container, _vault, "bronze-key")}"), _server, output: output);
        await host.StartAsync();

        var connectionString = await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetConnectionStringAsync();
        var exists = await new BlobServiceClient(connectionString, Azurite.FastRetries(new BlobClientOptions())).GetBlobContainerClient(container).ExistsAsync();
        await host.StopAsync();

        Assert.True(exists.Value);
        Assert.Equal($"DefaultEndpointsProtocol=http;AccountName={Azurite.Account};AccountKey={TestConfiguration.AzuriteKey};BlobEndpoint={url}", connectionString);
    }

    [Fact]
    public async Task GetConnectionStringAsync_DefaultEndpoint_NamesSuffix()
    {
        using var host = BuildDirect("""{ "Account": "chinastore", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "a2V5", "EndpointSuffix": "core.chinacloudapi.cn" }""");

        var connectionString = await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetConnectionStringAsync();

        Assert.Equal("DefaultEndpointsProtocol=https;AccountName=chinastore;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn", connectionString);
    }

    [Fact]
    public async Task GetConnectionStringAsync_ManagedIdentity_ThrowsNamingConnection()
    {
        using var host = BuildDirect("""{ "Account": "mistore", "Container": "data", "AuthMode": "ManagedIdentity" }""");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            async () => await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetConnectionStringAsync());

        Assert.Contains("Connection 'bronze' uses AuthMode ManagedIdentity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateBlobServiceClientAsync_CalledTwiceConcurrently_ReturnsOneClient()
    {
        using var host = BuildDirect($$"""{ "Account": "devstore", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}" }""");
        var bronze = host.Services.GetRequiredService<IAdlsConnections>()["bronze"];

        var clients = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await bronze.CreateBlobServiceClientAsync())));

        Assert.All(clients, c => Assert.Same(clients[0], c));
        Assert.Same(clients[0], await bronze.CreateBlobServiceClientAsync());
    }

    [Fact]
    public async Task CreateBlobServiceClientAsync_EndpointSettings_AreHonoured()
    {
        using var host = BuildConnections($$"""
            "gov": { "Account": "govstore", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}", "EndpointSuffix": "core.usgovcloudapi.net" },
            "private": { "Account": "privstore", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "{{TestConfiguration.AzuriteKey}}", "BlobServiceUri": "https://privstore.privatelink.blob.core.windows.net/" }
            """);
        var connections = host.Services.GetRequiredService<IAdlsConnections>();

        var gov = await connections["gov"].CreateBlobServiceClientAsync();
        var privateLink = await connections["private"].GetBlobContainerClientAsync();

        Assert.Equal(new Uri("https://govstore.blob.core.usgovcloudapi.net/"), gov.Uri);
        Assert.Equal("govstore", gov.AccountName);
        Assert.Equal(new Uri("https://privstore.privatelink.blob.core.windows.net/data"), privateLink.Uri);
    }

    [Fact]
    public async Task Request_AccountKeyNotBase64_ThrowsNamingSecretWithoutValue()
    {
        const string NotAKey = "this-is-not-a-key!";
        _server.Vault(_vault).SetSecret("bronze-key", NotAKey);
        using var host = Build(OdibiJson($"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}"), _server, output: output);
        await host.StartAsync();

        var client = await host.Services.GetRequiredService<IAdlsConnections>()["bronze"].GetBlobContainerClientAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetPropertiesAsync());
        await host.StopAsync();

        Assert.StartsWith($"Connection 'bronze' (account bronze001): the account key in secret 'bronze-key' in https://{_vault}.vault.azure.net/ is not base64", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(NotAKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateBlobServiceClientAsync_ManagedIdentity_ReusesThePrefetchCredential()
    {
        var identities = new RecordingCredentialFactory();
        var transport = new RecordingHandler();
        using var host = Build(OdibiJson("""
            "mi": { "Account": "mistore", "Container": "lake", "AuthMode": "ManagedIdentity", "ClientId": "00000000-0000-0000-0000-000000000001" }
            """), _server, builder =>
        {
            builder.Services.AddSingleton<StorageCredentialFactory>(identities);
            new OdibiConnectionsBuilder(builder.Services).ConfigureBlobClient(o => o.Transport = new HttpClientTransport(new HttpClient(transport)));
        }, output: output);
        await host.StartAsync();
        var tokensAtStart = identities.Credential.Count;

        var container = await host.Services.GetRequiredService<IAdlsConnections>()["mi"].GetBlobContainerClientAsync();
        await container.GetPropertiesAsync();
        await host.StopAsync();

        Assert.Equal(1, identities.Created);
        Assert.Equal(1, tokensAtStart);
        Assert.Equal($"Bearer {identities.Credential.Token}", transport.Authorization);
        Assert.Equal(new Uri("https://mistore.blob.core.windows.net/lake?restype=container"), transport.RequestUri);
    }

    [Fact]
    public async Task KeyedClient_ServicePrincipalSecretInKeyVault_ReadsItWhenTheFirstTokenIsAsked()
    {
        const string ClientSecret = "Zx9~q8Q~client.secret-from-the-vault";
        _server.Vault(_vault).SetSecret("spn-secret", ClientSecret);
        var identities = new RecordingCredentialFactory();
        var transport = new RecordingHandler();
        using var host = Build(OdibiJson($$"""
            "spn": { "Account": "spnstore", "Container": "lake", "AuthMode": "ServicePrincipal", "TenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                     "ClientId": "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", "KeyVaultName": "{{_vault}}", "SecretName": "spn-secret" }
            """), _server, builder =>
        {
            builder.Services.AddSingleton<StorageCredentialFactory>(identities);
            new OdibiConnectionsBuilder(builder.Services).ConfigureBlobClient(o => o.Transport = new HttpClientTransport(new HttpClient(transport)));
        }, output: output);

        var container = host.Services.GetRequiredKeyedService<BlobContainerClient>("spn"); // the host is not started: nothing read yet
        var readsAtResolve = _server.Requests.Count(r => r.SecretName == "spn-secret");
        await container.GetPropertiesAsync();

        Assert.Equal(0, readsAtResolve);
        Assert.Equal(ClientSecret, identities.ClientSecret);
        Assert.Equal($"Bearer {identities.Credential.Token}", transport.Authorization);
    }

    private IHost BuildDirect(string connectionJson) => BuildConnections($"\"bronze\": {connectionJson}");

    private IHost BuildConnections(string connections) => Azurite.Build(OdibiJson(connections), _server, output: output);

    private sealed class RecordingCredentialFactory : StorageCredentialFactory
    {
        private int _created;

        public CountingTokenCredential Credential { get; } = new();

        public int Created => Volatile.Read(ref _created);

        public string? ClientSecret { get; private set; }

        public override TokenCredential Create(AdlsConnection connection, string? clientSecret)
        {
            ClientSecret = clientSecret;
            Interlocked.Increment(ref _created);
            return Credential;
        }
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public string? Authorization { get; private set; }

        public Uri? RequestUri { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Authorization = request.Headers.Authorization?.ToString();
            RequestUri = request.RequestUri;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) });
        }
    }
}
