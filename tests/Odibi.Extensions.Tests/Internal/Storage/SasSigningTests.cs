using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Storage;

/// <summary>
/// A SAS a keyed client generates is signed with the account key the vault holds now: never a placeholder before the
/// first read, never an old key after a rotation, however idle the client. Signatures are compared with ones computed
/// from the real key.
/// </summary>
public sealed class SasSigningTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Account = "lakeacct001";
    private static readonly string Key1 = Convert.ToBase64String(Enumerable.Range(1, 64).Select(i => (byte)i).ToArray());
    private static readonly string Key2 = Convert.ToBase64String(Enumerable.Range(101, 64).Select(i => (byte)i).ToArray());
    private static readonly DateTimeOffset Expiry = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
        _server.Vault(_vault).SetSecret("lake-key", Key1);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GenerateSasUri_ClientResolvedBeforeStart_RefusesBeforeTheKeyThenSignsWithTheKeyAfterStart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Build(OdibiJson($"\"lake\": {KeyVaultConnection(Account, _vault, "lake-key")}"), _server,
            b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        var container = host.Services.GetRequiredKeyedService<BlobContainerClient>("lake"); // as a hosted service's constructor would
        var blob = container.GetBlobClient("raw/day.parquet");

        var canBefore = container.CanGenerateSasUri;
        var refused = Assert.Throws<InvalidOperationException>(() => container.GenerateSasUri(ContainerSas()));
        Assert.Throws<InvalidOperationException>(() => blob.GenerateSasUri(BlobSas()));
        await host.StartAsync();

        Assert.False(canBefore);
        Assert.Contains("Connection 'lake' cannot sign a SAS yet", refused.Message, StringComparison.Ordinal);
        Assert.Contains("GetStorageKeyAsync", refused.Message, StringComparison.Ordinal);
        Assert.True(container.CanGenerateSasUri);
        Assert.Equal(Signature(ContainerSas(), Key1), Signature(container.GenerateSasUri(ContainerSas())));
        Assert.Equal(Signature(BlobSas(), Key1), Signature(blob.GenerateSasUri(BlobSas())));
        Assert.True(host.Services.GetRequiredKeyedService<BlobServiceClient>("lake").CanGenerateAccountSasUri);
        await host.StopAsync();
    }

    [Fact]
    public async Task GenerateSasUri_IdleClientAfterRotationPickedUpByRefresh_SignsWithTheNewKey()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Build(OdibiJson($"\"lake\": {KeyVaultConnection(Account, _vault, "lake-key")}", refresh: "\"Interval\": \"01:00:00\""), _server,
            b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        var service = host.Services.GetRequiredKeyedService<BlobServiceClient>("lake");
        var container = service.GetBlobContainerClient("bronze");
        await host.StartAsync();
        var before = Signature(container.GenerateSasUri(ContainerSas("bronze")));

        _server.Vault(_vault).SetSecret("lake-key", Key2);
        var lake = host.Services.GetRequiredService<IAdlsConnections>()["lake"];
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await lake.GetStorageKeyAsync() != Key2)
        {
            time.Advance(TimeSpan.FromHours(1)); // the refresh reads the rotated key; the client sends nothing meanwhile
            await Task.Delay(10, patience.Token);
        }

        var after = Signature(container.GenerateSasUri(ContainerSas("bronze")));
        await host.StopAsync();

        Assert.Equal(Signature(ContainerSas("bronze"), Key1), before);
        Assert.Equal(Signature(ContainerSas("bronze"), Key2), after);
    }

    private static BlobSasBuilder ContainerSas(string container = "data")
    {
        var builder = new BlobSasBuilder(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, Expiry) { BlobContainerName = container, Resource = "c" };
        builder.StartsOn = Expiry.AddDays(-1);
        return builder;
    }

    private static BlobSasBuilder BlobSas()
    {
        var builder = new BlobSasBuilder(BlobSasPermissions.Read, Expiry) { BlobContainerName = "data", BlobName = "raw/day.parquet", Resource = "b" };
        builder.StartsOn = Expiry.AddDays(-1);
        return builder;
    }

    private static string Signature(BlobSasBuilder builder, string key) =>
        builder.ToSasQueryParameters(new StorageSharedKeyCredential(Account, key)).Signature;

    private static string Signature(Uri sas) =>
        new BlobUriBuilder(sas).Sas.Signature;
}
