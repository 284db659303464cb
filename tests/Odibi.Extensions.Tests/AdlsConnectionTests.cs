using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Tests.Infrastructure;

namespace Odibi.Extensions.Tests;

public class AdlsConnectionTests
{
    private const string Key = TestConfiguration.AzuriteKey;

    private static readonly IAdlsConnections AllModes = Build(TestConfiguration.FromFile("all-modes.json"));

    [Theory]
    [InlineData("", "abfss://bronze@dlsbronzeprod001.dfs.core.windows.net/raw/ingestion/")]
    [InlineData("2024/01/orders.parquet", "abfss://bronze@dlsbronzeprod001.dfs.core.windows.net/raw/ingestion/2024/01/orders.parquet")]
    [InlineData("/orders.parquet", "abfss://bronze@dlsbronzeprod001.dfs.core.windows.net/raw/ingestion/orders.parquet")]
    public void GetUri_WithPrefix_JoinsPrefixAndPath(string path, string expected)
    {
        Assert.Equal(expected, AllModes["bronze"].GetUri(path));
    }

    [Fact]
    public void GetUri_WithoutPrefix_StartsAtContainerRoot()
    {
        var dev = AllModes["dev"];

        Assert.Equal("", dev.PathPrefix);
        Assert.Equal("abfss://data@devstoreaccount1.dfs.core.windows.net/", dev.GetUri());
        Assert.Equal("abfss://data@devstoreaccount1.dfs.core.windows.net/test.parquet", dev.GetUri("test.parquet"));
    }

    [Fact]
    public void Properties_FromConfiguration_AreNormalized()
    {
        var bronze = AllModes["BRONZE"];

        Assert.Equal("bronze", bronze.Name);
        Assert.Equal("raw/ingestion", bronze.PathPrefix);
        Assert.Equal(AdlsAuthMode.KeyVault, bronze.AuthMode);
        Assert.Equal(new Uri("https://my-production-kv.vault.azure.net/"), bronze.KeyVaultUri);
        Assert.Equal("bronze-storage-key", bronze.SecretName);
        Assert.False(bronze.Optional);
        Assert.Equal(ConnectionStatus.Pending, bronze.Status);
        Assert.Equal(new Uri("https://dlsbronzeprod001.dfs.core.windows.net/"), bronze.DfsEndpoint);
        Assert.Equal(new Uri("https://dlsbronzeprod001.blob.core.windows.net/"), bronze.BlobEndpoint);
    }

    [Fact]
    public void Endpoints_SovereignSuffixAndOverride_AreHonoured()
    {
        var mi = AllModes["mi"];
        var dev = AllModes["dev"];
        var partner = AllModes["partner"];

        Assert.Equal(new Uri("https://mistore.dfs.core.usgovcloudapi.net/"), mi.DfsEndpoint);
        Assert.Equal(new Uri("https://mistore.blob.core.usgovcloudapi.net/"), mi.BlobEndpoint);
        Assert.Equal("abfss://lake@mistore.dfs.core.usgovcloudapi.net/x", mi.GetUri("x"));
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), dev.BlobEndpoint);
        Assert.Equal(new Uri("https://partner-kv.vault.azure.cn/"), partner.KeyVaultUri);
        Assert.True(partner.Optional);
    }

    [Theory]
    [InlineData("kv-china", "vault.azure.cn", "https://kv-china.vault.azure.cn/")]
    [InlineData("KV-Upper", null, "https://kv-upper.vault.azure.net/")]
    [InlineData("https://kv1.privatelink.vaultcore.azure.net", null, "https://kv1.privatelink.vaultcore.azure.net/")]
    public void KeyVaultUri_FromNameOrUri_IsResolved(string keyVaultName, string? suffix, string expected)
    {
        var connections = Build(options => options.Connections["c"] = new AdlsConnectionOptions
        {
            Account = "acct001", Container = "data", AuthMode = AdlsAuthMode.KeyVault,
            KeyVaultName = keyVaultName, KeyVaultDnsSuffix = suffix, SecretName = "key",
        });

        Assert.Equal(new Uri(expected), connections["c"].KeyVaultUri);
    }

    [Fact]
    public async Task GetSparkConfigurationAsync_DirectKey_SetsAccountKey()
    {
        var settings = await AllModes["dev"].GetSparkConfigurationAsync();

        Assert.Equal(new Dictionary<string, string> { ["fs.azure.account.key.devstoreaccount1.dfs.core.windows.net"] = Key }, settings);
    }

    [Fact]
    public async Task GetSparkConfigurationAsync_InlineSas_UsesFixedTokenProviderWithoutQuestionMark()
    {
        var connections = Build(options => options.Connections["sas"] = new AdlsConnectionOptions
        {
            Account = "partnerdata", Container = "inbound", AuthMode = AdlsAuthMode.SasToken, SasToken = "?sv=2022&sig=abc",
        });

        var settings = await connections["sas"].GetSparkConfigurationAsync();

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["fs.azure.account.auth.type.partnerdata.dfs.core.windows.net"] = "SAS",
                ["fs.azure.sas.token.provider.type.partnerdata.dfs.core.windows.net"] = "org.apache.hadoop.fs.azurebfs.sas.FixedSASTokenProvider",
                ["fs.azure.sas.fixed.token.partnerdata.dfs.core.windows.net"] = "sv=2022&sig=abc",
            },
            settings);
        Assert.Equal("sv=2022&sig=abc", await connections["sas"].GetStorageKeyAsync());
        Assert.Equal(ConnectionStatus.Ready, connections["sas"].Status);
    }

    [Theory]
    [InlineData(null, "https://login.microsoftonline.com/tenant.onmicrosoft.com/oauth2/token", "core.windows.net")]
    [InlineData("core.chinacloudapi.cn", "https://login.chinacloudapi.cn/tenant.onmicrosoft.com/oauth2/token", "core.chinacloudapi.cn")]
    [InlineData("core.usgovcloudapi.net", "https://login.microsoftonline.us/tenant.onmicrosoft.com/oauth2/token", "core.usgovcloudapi.net")]
    public async Task GetSparkConfigurationAsync_InlineServicePrincipal_UsesClientCredentials(string? suffix, string endpoint, string expectedSuffix)
    {
        var connections = Build(options => options.Connections["spn"] = new AdlsConnectionOptions
        {
            Account = "spnstore", Container = "lake", AuthMode = AdlsAuthMode.ServicePrincipal, EndpointSuffix = suffix,
            TenantId = "tenant.onmicrosoft.com", ClientId = "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", ClientSecret = "client-secret-value",
        });

        var settings = await connections["spn"].GetSparkConfigurationAsync();

        var host = $"spnstore.dfs.{expectedSuffix}";
        Assert.Equal(
            new Dictionary<string, string>
            {
                [$"fs.azure.account.auth.type.{host}"] = "OAuth",
                [$"fs.azure.account.oauth.provider.type.{host}"] = "org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider",
                [$"fs.azure.account.oauth2.client.id.{host}"] = "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21",
                [$"fs.azure.account.oauth2.client.secret.{host}"] = "client-secret-value",
                [$"fs.azure.account.oauth2.client.endpoint.{host}"] = endpoint,
            },
            settings);
    }

    [Fact]
    public async Task GetSparkConfigurationAsync_ManagedIdentity_UsesMsiProviderAndClientId()
    {
        var settings = await AllModes["mi"].GetSparkConfigurationAsync();

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["fs.azure.account.auth.type.mistore.dfs.core.usgovcloudapi.net"] = "OAuth",
                ["fs.azure.account.oauth.provider.type.mistore.dfs.core.usgovcloudapi.net"] = "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider",
                ["fs.azure.account.oauth2.client.id.mistore.dfs.core.usgovcloudapi.net"] = "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d",
            },
            settings);
    }

    [Fact]
    public async Task GetStorageKeyAsync_ManagedIdentity_ThrowsNamingConnection()
    {
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => AllModes["mi"].GetStorageKeyAsync().AsTask());

        Assert.Contains("'mi'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("ManagedIdentity", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStorageKeyAsync_DirectKey_ReturnsInlineKey()
    {
        Assert.Equal(Key, await AllModes["dev"].GetStorageKeyAsync());
        Assert.Equal(ConnectionStatus.Pending, AllModes["dev"].Status); // all-modes.json has VerifyStorage: ready only after its storage check
    }

    [Fact]
    public void ToString_EveryMode_DescribesWithoutSecret()
    {
        Assert.Equal(
            "bronze (KeyVault, abfss://bronze@dlsbronzeprod001.dfs.core.windows.net/raw/ingestion/, secret bronze-storage-key in https://my-production-kv.vault.azure.net/, Pending)",
            AllModes["bronze"].ToString());
        Assert.Equal("dev (DirectKey, abfss://data@devstoreaccount1.dfs.core.windows.net/, Pending)", AllModes["dev"].ToString()); // VerifyStorage: not checked yet
        Assert.All(AllModes, c => Assert.DoesNotContain(Key, c.ToString(), StringComparison.Ordinal));
    }

    private static IAdlsConnections Build(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(configuration);
        return services.BuildServiceProvider().GetRequiredService<IAdlsConnections>();
    }

    private static IAdlsConnections Build(Action<OdibiOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(configure);
        return services.BuildServiceProvider().GetRequiredService<IAdlsConnections>();
    }
}
