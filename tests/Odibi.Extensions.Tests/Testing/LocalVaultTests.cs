using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Testing.LocalKeyVaultClients;

namespace Odibi.Extensions.Tests.Testing;

/// <summary><see cref="LocalVault"/>'s C# API for test setup, checked through the real <see cref="SecretClient"/>.</summary>
public sealed class LocalVaultTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(s_start);
    private LocalKeyVault _server = null!;
    private LocalVault _vault = null!;
    private SecretClient _client = null!;

    public LocalVaultTests()
    {
        TestThreadPool.EnsureMinThreads();
    }

    public async Task InitializeAsync()
    {
        _server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { TimeProvider = _time });
        string vaultName = UniqueVaultName("api");
        _vault = _server.Vault(vaultName);
        _client = _server.CreateClient(vaultName, FastOptions(maxRetries: 0));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task DisableSecret_OneVersion_OnlyThatVersionAnswers403()
    {
        string first = _vault.SetSecret("s", "one");
        _vault.SetSecret("s", "two");

        _vault.DisableSecret("s", first);

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetSecretAsync("s", first));
        Assert.Equal(403, exception.Status);
        Assert.Equal("Forbidden", exception.ErrorCode);
        Assert.Equal("two", (await _client.GetSecretAsync("s")).Value.Value);
        _vault.EnableSecret("s", first);
        Assert.Equal("one", (await _client.GetSecretAsync("s", first)).Value.Value);
        Assert.Throws<KeyNotFoundException>(() => _vault.DisableSecret("s", new string('0', 32)));
        Assert.Throws<KeyNotFoundException>(() => _vault.EnableSecret("missing"));
    }

    [Fact]
    public async Task DeleteSecret_ThenRecover_SecretIsBackWithItsVersions()
    {
        string first = _vault.SetSecret("s", "one");
        _vault.SetSecret("s", "two");

        Assert.True(_vault.DeleteSecret("s"));
        Assert.False(_vault.DeleteSecret("s"));
        Assert.Null(_vault.GetSecretValue("s"));
        Assert.Empty(_vault.GetSecretVersions("s"));
        Assert.Equal(["s"], _vault.GetDeletedSecretNames());
        DeletedSecret deleted = await _client.GetDeletedSecretAsync("s");
        Assert.True(_vault.RecoverDeletedSecret("s"));
        Assert.False(_vault.RecoverDeletedSecret("s"));

        Assert.Equal(s_start.AddDays(90), deleted.ScheduledPurgeDate);
        Assert.Equal("one", (await _client.GetSecretAsync("s", first)).Value.Value);
        Assert.Equal(["s"], _vault.GetSecretNames());
        Assert.Empty(_vault.GetDeletedSecretNames());
    }

    [Fact]
    public void SetSecret_DeletedName_ThrowsUntilPurged()
    {
        _vault.SetSecret("s", "v");
        _vault.DeleteSecret("s");

        var exception = Assert.Throws<InvalidOperationException>(() => _vault.SetSecret("s", "s3cr3t-value"));
        Assert.True(_vault.PurgeDeletedSecret("s"));
        Assert.False(_vault.PurgeDeletedSecret("s"));
        _vault.SetSecret("s", "again");

        Assert.Contains("recover it (RecoverDeletedSecret) or purge it (PurgeDeletedSecret)", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", exception.Message, StringComparison.Ordinal);
        Assert.Equal("again", _vault.GetSecretValue("s"));
    }

    [Fact]
    public async Task DeleteSecret_RetentionPassed_IsPurgedByTheVault()
    {
        _vault.RecoverableDays = 7;
        _vault.SetSecret("s", "v");
        _vault.DeleteSecret("s");

        _time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        DeletedSecret deleted = await _client.GetDeletedSecretAsync("s");
        _time.Advance(TimeSpan.FromSeconds(1));
        var purged = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetDeletedSecretAsync("s"));

        Assert.Equal("CustomizedRecoverable+Purgeable", deleted.Properties.RecoveryLevel);
        Assert.Equal(7, deleted.Properties.RecoverableDays);
        Assert.Equal(404, purged.Status);
        Assert.Empty(_vault.GetDeletedSecretNames());
    }

    [Fact]
    public async Task RecoverableDays_FromOptions_AppliesToNewVaults()
    {
        await using LocalKeyVault server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { RecoverableDays = 30 });

        Assert.Equal(30, server.Vault("kv").RecoverableDays);
        Assert.Throws<ArgumentOutOfRangeException>(() => _vault.RecoverableDays = 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => _vault.RecoverableDays = 91);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LocalKeyVault.StartAsync(new LocalKeyVaultOptions { RecoverableDays = 100 }));
    }

    [Fact]
    public void GetSecretNames_MixedCase_SortedAsTheServiceListsThem()
    {
        foreach (string name in new[] { "beta", "Alpha", "gamma", "ALPHA-2" })
        {
            _vault.SetSecret(name, "v");
        }

        Assert.Equal(["Alpha", "ALPHA-2", "beta", "gamma"], _vault.GetSecretNames());
    }

    [Fact]
    public async Task InjectFault_VaultWide_AppliesToListOperationsToo()
    {
        _vault.SetSecret("s", "v");
        _vault.InjectFault(LocalKeyVaultFault.Status(503).Once());

        var exception = await Assert.ThrowsAsync<RequestFailedException>(async () =>
        {
            await foreach (SecretProperties _ in _client.GetPropertiesOfSecretsAsync())
            {
            }
        });

        Assert.Equal(503, exception.Status);
        Assert.Equal(LocalKeyVaultFaultKind.Status, _server.Requests.Last().Fault?.Kind);
    }
}
