using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Testing;

public sealed class LocalKeyVaultSeedExtensionsTests : IAsyncLifetime
{
    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void SeedSecrets_EveryMode_CreatesTheSecretsKeyVaultModesRead()
    {
        var vault = UniqueVaultName();
        var configuration = TestConfiguration.FromJson(LocalKeyVaultOdibiBuilderExtensionsTests.AllModes(vault));

        var created = _server.SeedSecrets(configuration);

        Assert.Equal([$"{vault}/bronze-key", $"{vault}/partner-sas", $"{vault}/spn-secret"], created.Order(StringComparer.Ordinal));
        Assert.Equal(64, Convert.FromBase64String(_server.Vault(vault).GetSecretValue("bronze-key")!).Length);
        Assert.StartsWith("sv=", _server.Vault(vault).GetSecretValue("partner-sas"), StringComparison.Ordinal);
        Assert.Empty(_server.SeedSecrets(configuration));
    }

    [Fact]
    public void SeedSecrets_InvalidConfiguration_SeedsWhatItCanWithoutThrowing()
    {
        var vault = UniqueVaultName();
        var configuration = TestConfiguration.FromJson($$"""
            { "Odibi": { "Connections": {
                "bronze": { "Account": "Bad_Name", "Container": "bronze", "AuthMode": "key_vault", "KeyVaultName": "{{vault}}", "SecretName": "bronze-key" } } } }
            """);

        Assert.Equal([$"{vault}/bronze-key"], _server.SeedSecrets(configuration));
    }
}
