using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Tests.Infrastructure;

namespace Odibi.Extensions.Tests;

public class OdibiServiceCollectionExtensionsTests(ITestOutputHelper output)
{
    private const string Key = TestConfiguration.AzuriteKey;

    [Fact]
    public void AddOdibiConnections_JsonWithAllModes_BindsEverySetting()
    {
        var options = Options(services => services.AddOdibiConnections(TestConfiguration.FromFile("all-modes.json")));

        Assert.Equal(PrefetchPolicy.Degrade, options.Prefetch.Policy);
        Assert.Equal(16, options.Prefetch.MaxConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Prefetch.FetchTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Prefetch.StartupTimeout);
        Assert.True(options.Prefetch.VerifyStorage);
        Assert.Equal(TimeSpan.FromMinutes(30), options.Refresh.Interval);
        Assert.True(options.RejectDirectKeyInProduction);
        Assert.Equal(["bronze", "dev", "mi", "partner", "spn"], options.Connections.Keys.Order(StringComparer.Ordinal));

        var bronze = options.Connections["BRONZE"];
        Assert.Equal(("dlsbronzeprod001", "bronze", "/raw/ingestion/", AdlsAuthMode.KeyVault, "my-production-kv", "bronze-storage-key"),
            (bronze.Account, bronze.Container, bronze.PathPrefix, bronze.AuthMode, bronze.KeyVaultName, bronze.SecretName));
        var dev = options.Connections["dev"];
        Assert.Equal((AdlsAuthMode.DirectKey, Key, "http://127.0.0.1:10000/devstoreaccount1"), (dev.AuthMode, dev.AccountKey, dev.BlobServiceUri));
        var partner = options.Connections["partner"];
        Assert.Equal((AdlsAuthMode.SasToken, "https://partner-kv.vault.azure.cn/", "partner-sas", true),
            (partner.AuthMode, partner.KeyVaultName, partner.SecretName, partner.Optional));
        var spn = options.Connections["spn"];
        Assert.Equal((AdlsAuthMode.ServicePrincipal, "72f988bf-86f1-41af-91ab-2d7cd011db47", "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", "0123456789abcdef0123456789abcdef"),
            (spn.AuthMode, spn.TenantId, spn.ClientId, spn.SecretVersion));
        var mi = options.Connections["mi"];
        Assert.Equal((AdlsAuthMode.ManagedIdentity, "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d", "core.usgovcloudapi.net", false),
            (mi.AuthMode, mi.ClientId, mi.EndpointSuffix, mi.Optional));
    }

    [Fact]
    public void AddOdibiConnections_ThreeOverloads_GiveEqualOptions()
    {
        var configuration = TestConfiguration.FromFile("all-modes.json");

        var fromHost = Options(services =>
        {
            services.AddSingleton<IConfiguration>(configuration);
            services.AddOdibiConnections();
        });
        var fromRoot = Options(services => services.AddOdibiConnections(configuration));
        var fromSection = Options(services => services.AddOdibiConnections(configuration.GetSection("Odibi")));
        var fromCode = Options(services => services.AddOdibiConnections(options =>
        {
            options.Prefetch = new PrefetchOptions
            {
                Policy = PrefetchPolicy.Degrade, MaxConcurrency = 16, FetchTimeout = TimeSpan.FromSeconds(5),
                StartupTimeout = TimeSpan.FromSeconds(20), VerifyStorage = true,
            };
            options.Refresh.Interval = TimeSpan.FromMinutes(30);
            options.RejectDirectKeyInProduction = true;
            options.Connections["bronze"] = new()
            {
                Account = "dlsbronzeprod001", Container = "bronze", PathPrefix = "/raw/ingestion/", AuthMode = AdlsAuthMode.KeyVault,
                KeyVaultName = "my-production-kv", SecretName = "bronze-storage-key",
            };
            options.Connections["dev"] = new()
            {
                Account = "devstoreaccount1", Container = "data", AuthMode = AdlsAuthMode.DirectKey, AccountKey = Key,
                BlobServiceUri = "http://127.0.0.1:10000/devstoreaccount1",
            };
            options.Connections["mi"] = new()
            {
                Account = "mistore", Container = "lake", AuthMode = AdlsAuthMode.ManagedIdentity,
                ClientId = "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d", EndpointSuffix = "core.usgovcloudapi.net",
            };
            options.Connections["partner"] = new()
            {
                Account = "partnerdata", Container = "inbound", AuthMode = AdlsAuthMode.SasToken,
                KeyVaultName = "https://partner-kv.vault.azure.cn/", SecretName = "partner-sas", Optional = true,
            };
            options.Connections["spn"] = new()
            {
                Account = "spnstore", Container = "lake", AuthMode = AdlsAuthMode.ServicePrincipal,
                TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47", ClientId = "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21",
                KeyVaultName = "my-production-kv", SecretName = "spn-client-secret", SecretVersion = "0123456789abcdef0123456789abcdef",
            };
        }));

        var expected = JsonSerializer.Serialize(fromHost);
        Assert.Contains("dlsbronzeprod001", expected, StringComparison.Ordinal);
        Assert.Equal(expected, JsonSerializer.Serialize(fromRoot));
        Assert.Equal(expected, JsonSerializer.Serialize(fromSection));
        Assert.Equal(expected, JsonSerializer.Serialize(fromCode));
    }

    [Fact]
    public void AddOdibiConnections_CalledTwice_RegistersServicesOnce()
    {
        var configuration = TestConfiguration.FromFile("all-modes.json");
        var once = new ServiceCollection();
        once.AddOdibiConnections(configuration);
        var twice = new ServiceCollection();
        twice.AddOdibiConnections(configuration);
        twice.AddOdibiConnections(configuration);

        using var provider = twice.BuildServiceProvider();

        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Single(provider.GetServices<IValidateOptions<OdibiOptions>>());
        Assert.Same(provider.GetRequiredService<IAdlsConnections>(), provider.GetRequiredService<IAdlsConnections>());
        Assert.Equal(5, provider.GetRequiredService<IAdlsConnections>().Count);
        // Configure callbacks may repeat (they are idempotent); every service is registered once.
        static bool IsConfigure(ServiceDescriptor d) =>
            d.ServiceType.IsGenericType && d.ServiceType.GetGenericTypeDefinition() == typeof(IConfigureOptions<>);
        Assert.Equal(
            once.Where(d => !IsConfigure(d)).Select(d => d.ServiceType),
            twice.Where(d => !IsConfigure(d)).Select(d => d.ServiceType));
    }

    [Fact]
    public void AddOdibiConnections_ConfigurationFromAFactoryNeedingServices_RegistersWithoutKeyedServices()
    {
        var services = new ServiceCollection();
        services.AddSingleton(TestConfiguration.FromFile("all-modes.json"));
        services.AddSingleton<IConfiguration>(provider => provider.GetRequiredService<IConfigurationRoot>());

        services.AddOdibiConnections();
        using var provider = services.BuildServiceProvider();

        Assert.Equal(5, provider.GetRequiredService<IAdlsConnections>().Count);
        Assert.Null(provider.GetKeyedService<AdlsConnection>("bronze"));
    }

    [Fact]
    public void AddOdibiConnections_ConfigurationInstance_KeyedByItsConnectionNames()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(TestConfiguration.FromFile("all-modes.json"));

        services.AddOdibiConnections();
        using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<IAdlsConnections>()["bronze"], provider.GetRequiredKeyedService<AdlsConnection>("bronze"));
    }

    [Fact]
    public void AddOdibiConnections_TwiceWithBadValue_ReportsItOnce()
    {
        var configuration = TestConfiguration.OneConnection("""{ "Account": "BAD", "Container": "data", "AuthMode": "ManagedIdentity" }""");
        var services = new ServiceCollection();
        services.AddOdibiConnections(configuration);
        services.AddOdibiConnections(configuration);

        var exception = Assert.Throws<OptionsValidationException>(() => services.BuildServiceProvider().GetRequiredService<IOptions<OdibiOptions>>().Value);

        Assert.Single(TestConfiguration.Problems(exception));
    }

    [Fact]
    public async Task StartAsync_BadConfiguration_FailsWithEveryProblem()
    {
        using var host = BuildHost("""
            { "Odibi": { "Connections": {
                "bronze": { "Account": "Bronze_Store", "Container": "bronze", "AuthMode": "KeyVault", "KeyVaultName": "my-production-kv" },
                "silver": { "Account": "silver001", "Container": "silver", "AuthMode": "Keyvalt" } } } }
            """);

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(3, TestConfiguration.Problems(exception).Count);
        Assert.Contains("Odibi:Connections:bronze:Account 'Bronze_Store' is not a valid storage account name: use 3-24 lowercase letters and digits.", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Odibi:Connections:bronze:SecretName is missing", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Odibi:Connections:silver:AuthMode 'Keyvalt' is not valid: use one of KeyVault, DirectKey, SasToken, ServicePrincipal, ManagedIdentity.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_BadConfiguration_MessageListsOneProblemPerLine()
    {
        using var host = BuildHost("""
            { "Odibi": { "Connections": {
                "bronze": { "Account": "Bronze_Store", "Container": "bronze", "AuthMode": "KeyVault", "KeyVaultName": "my-production-kv", "SecretName": "k" },
                "silver": { "Account": "silver001", "Container": "silver", "AuthMode": "Keyvalt" } } } }
            """);

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var lines = exception.Message.Split(Environment.NewLine);
        Assert.Equal("The Odibi configuration has 2 problems:", lines[0]);
        Assert.Equal(
            [
                "Odibi:Connections:bronze:Account 'Bronze_Store' is not a valid storage account name: use 3-24 lowercase letters and digits.",
                "Odibi:Connections:silver:AuthMode 'Keyvalt' is not valid: use one of KeyVault, DirectKey, SasToken, ServicePrincipal, ManagedIdentity.",
            ],
            lines.Skip(1).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task StartAsync_GoodConfiguration_StartsAndServesConnections()
    {
        using var host = BuildHost(DirectKeyJson());

        await host.StartAsync();
        try
        {
            var connection = host.Services.GetRequiredService<IAdlsConnections>()["dev"];
            Assert.Equal(ConnectionStatus.Ready, connection.Status);
            Assert.Equal(Key, await connection.GetStorageKeyAsync());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task StartAsync_DirectKeyInProduction_LogsWarningNamingConnection()
    {
        using var host = BuildHost(DirectKeyJson(), Environments.Production);

        await host.StartAsync();
        await host.StopAsync();

        var warning = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "DirectKeyInProduction");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("'dev'", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_DirectKeyInDevelopment_DoesNotWarn()
    {
        using var host = BuildHost(DirectKeyJson(), Environments.Development);

        await host.StartAsync();
        await host.StopAsync();

        Assert.DoesNotContain(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Name == "DirectKeyInProduction");
    }

    [Fact]
    public async Task StartAsync_DirectKeyInProductionWhenRejected_FailsNamingConnectionAndFix()
    {
        using var host = BuildHost(DirectKeyJson(reject: true), Environments.Production);

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var failure = Assert.Single(TestConfiguration.Problems(exception));
        Assert.StartsWith("Odibi:Connections:dev:AuthMode DirectKey is rejected in Production", failure, StringComparison.Ordinal);
        Assert.Contains("use AuthMode KeyVault", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_DirectKeyRejectedButNotProduction_Starts()
    {
        using var host = BuildHost(DirectKeyJson(reject: true), Environments.Staging);

        await host.StartAsync();
        await host.StopAsync();
    }

    internal static string DirectKeyJson(bool reject = false) => $$"""
        { "Odibi": { "RejectDirectKeyInProduction": {{(reject ? "true" : "false")}}, "Connections": {
            "dev": { "Account": "devstoreaccount1", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "{{Key}}" },
            "partner": { "Account": "partnerdata", "Container": "inbound", "AuthMode": "SasToken", "SasToken": "sv=2022-11-02&sig=abc" } } } }
        """;

    private IHost BuildHost(string json, string environment = "Development")
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = environment,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output));
        builder.Services.AddFakeLogging();
        builder.Services.AddOdibiConnections();
        return builder.Build();
    }

    private static OdibiOptions Options(Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        register(services);
        return services.BuildServiceProvider().GetRequiredService<IOptions<OdibiOptions>>().Value;
    }
}
