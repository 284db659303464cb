using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.References;

/// <summary>Key Vault references in configuration, read through LocalKeyVault by the real SecretClient.</summary>
public sealed class KeyVaultReferenceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Build_ResolvesBothFormsAndLeavesOtherValuesAlone_EachSecretReadOnce()
    {
        var vault = UniqueVaultName("refs");
        _server.Vault(vault).SetSecret("orders-sql", "Server=orders;Password=p1");
        _server.Vault(vault).SetSecret("api-key", "k-123");
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Orders"] = $"@Microsoft.KeyVault(SecretUri=https://{vault}.vault.azure.net/secrets/orders-sql/)",
            ["ConnectionStrings:OrdersCopy"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=orders-sql)",
            ["Partner:ApiKey"] = $" @microsoft.keyvault( VaultName = {vault} ; SecretName = api-key ) ",
            ["Partner:Url"] = "https://partner.example.com/",
            ["Docs"] = $"see @Microsoft.KeyVault(VaultName={vault};SecretName=api-key)",
        });

        configuration.AddKeyVaultReferences(o => o.UseLocalKeyVault(_server));

        Assert.Equal("Server=orders;Password=p1", configuration["ConnectionStrings:Orders"]);
        Assert.Equal("Server=orders;Password=p1", configuration["ConnectionStrings:OrdersCopy"]);
        Assert.Equal("k-123", configuration["Partner:ApiKey"]);
        Assert.Equal("https://partner.example.com/", configuration["Partner:Url"]);
        Assert.StartsWith("see @Microsoft.KeyVault(", configuration["Docs"], StringComparison.Ordinal);
        Assert.Equal(2, _server.Vault(vault).SecretRequestCount); // two distinct secrets, three references
        Assert.Equal(1, _server.Credential.Count);
    }

    [Fact]
    public void Build_SomeCannotBeRead_OneExceptionListsEveryOneNeverAValue()
    {
        var vault = UniqueVaultName("fail");
        _server.Vault(vault).SetSecret("ok", "fine-value");
        _server.Vault(vault).SetSecret("forbidden", "hidden-value");
        _server.Vault(vault).InjectFault("forbidden", LocalKeyVaultFault.Status(403).Always());
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["A:Ok"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=ok)",
            ["B:Forbidden"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=forbidden)",
            ["C:Missing"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=missing)",
            ["D:Malformed"] = $"@Microsoft.KeyVault(VaultName={vault})",
        });

        var error = Assert.Throws<KeyVaultReferenceException>(() => configuration.AddKeyVaultReferences(o => o.UseLocalKeyVault(_server)));

        Assert.Equal(["B:Forbidden", "C:Missing", "D:Malformed"], error.Failures.Select(f => f.Path));
        Assert.Contains("3 Key Vault secrets", error.Message, StringComparison.Ordinal);
        Assert.Contains($"B:Forbidden: secret 'forbidden' in https://{vault}.vault.azure.net/: 403", error.Message, StringComparison.Ordinal);
        Assert.Contains("grant this identity 'Get' on secrets", error.Message, StringComparison.Ordinal);
        Assert.Contains($"C:Missing: secret 'missing' in https://{vault}.vault.azure.net/: 404", error.Message, StringComparison.Ordinal);
        Assert.Contains("D:Malformed: the Key Vault reference names no SecretName", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("fine-value", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-value", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OptionalReferenceCannotBeRead_AbsentAndLogged()
    {
        var vault = UniqueVaultName("opt");
        _server.Vault(vault); // the vault exists; the secret does not
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Analytics"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=analytics)",
        });

        configuration.AddKeyVaultReferences(o =>
        {
            o.UseLocalKeyVault(_server);
            o.OptionalPaths.Add("connectionstrings:analytics");
            o.LoggerFactory = loggerFactory;
        });

        Assert.Null(configuration["ConnectionStrings:Analytics"]);
        var warning = Assert.Single(logs.GetSnapshot(), r => r.Id.Name == "KeyVaultReferenceSkipped");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("ConnectionStrings:Analytics", warning.Message, StringComparison.Ordinal);
        Assert.Contains("404", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithConnections_ReferenceAndConnectionOnOneSecret_OneTokenAndOneRead()
    {
        var vault = UniqueVaultName("both");
        _server.Vault(vault).SetSecret("bronze-key", "YnJvbnplLWtleQ==");
        _server.Vault(vault).SetSecret("orders-sql", "Server=orders");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output));
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(OdibiJson(
            $"\"bronze\": {KeyVaultConnection("bronze001", vault, "bronze-key")}"))));
        builder.Configuration["ConnectionStrings:Orders"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=orders-sql)";
        builder.Configuration["Storage:BronzeKey"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=bronze-key)";
        builder.Configuration.AddKeyVaultReferences(o => o.UseLocalKeyVault(_server));
        builder.Services.AddOdibiConnections().UseLocalKeyVault(_server);
        using var host = builder.Build();

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        var key = await connections["bronze"].GetStorageKeyAsync();
        await host.StopAsync();

        Assert.Equal("Server=orders", builder.Configuration["ConnectionStrings:Orders"]);
        Assert.Equal("YnJvbnplLWtleQ==", key);
        Assert.Equal(ConnectionStatus.Ready, connections["bronze"].Status);
        Assert.Equal(1, _server.Credential.Count); // one token in all
        Assert.Equal(2, _server.Vault(vault).SecretRequestCount); // bronze-key read once, for the reference and the connection
    }

    [Fact]
    public async Task Reload_ValueChanged_FiresTheTokenOnce_FailedReloadKeepsTheValueAndLogsOnce()
    {
        var vault = UniqueVaultName("reload");
        _server.Vault(vault).SetSecret("api-key", "first");
        var time = new FakeTimeProvider();
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(logs)));
        var configuration = new ConfigurationManager();
        configuration["Partner:ApiKey"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=api-key)";
        configuration.AddKeyVaultReferences(o =>
        {
            o.UseLocalKeyVault(_server);
            o.ReloadInterval = TimeSpan.FromMinutes(5);
            o.TimeProvider = time;
            o.LoggerFactory = loggerFactory;
        });
        var fired = 0;
        using var subscription = Microsoft.Extensions.Primitives.ChangeToken.OnChange(((IConfiguration)configuration).GetReloadToken, () => Interlocked.Increment(ref fired));

        await ReloadAsync(configuration, time); // nothing changed
        Assert.Equal(0, fired);

        _server.Vault(vault).SetSecret("api-key", "second");
        await ReloadAsync(configuration, time);
        Assert.Equal("second", configuration["Partner:ApiKey"]);
        Assert.Equal(1, fired);

        _server.Vault(vault).InjectFault("api-key", LocalKeyVaultFault.Status(403).Always());
        await ReloadAsync(configuration, time);
        await ReloadAsync(configuration, time);
        Assert.Equal("second", configuration["Partner:ApiKey"]);
        Assert.Equal(1, fired);
        var failed = Assert.Single(logs.GetSnapshot(), r => r.Id.Name == "KeyVaultReloadFailed"); // once per episode
        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Contains("Partner:ApiKey", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("second", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_AfterTheHostSharingTheEngineIsDisposed_EndsQuietly()
    {
        var vault = UniqueVaultName("gone");
        _server.Vault(vault).SetSecret("api-key", "first");
        var time = new FakeTimeProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(OdibiJson(
            $"\"bronze\": {KeyVaultConnection("bronze001", vault, "api-key")}"))));
        builder.Configuration["Partner:ApiKey"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=api-key)";
        builder.Configuration.AddKeyVaultReferences(o =>
        {
            o.UseLocalKeyVault(_server);
            o.ReloadInterval = TimeSpan.FromMinutes(5);
            o.TimeProvider = time;
        });
        builder.Services.AddOdibiConnections().UseLocalKeyVault(_server);
        using (var host = builder.Build())
        {
            host.Services.GetRequiredService<IAdlsConnections>(); // the container now holds the shared engine's cache
        }

        await ReloadAsync(builder.Configuration, time); // the cache was disposed with the container

        Assert.Equal("first", builder.Configuration["Partner:ApiKey"]);
    }

    [Fact]
    public async Task Settings_FromConfiguration_ReloadIntervalApplies()
    {
        var vault = UniqueVaultName("cfg");
        _server.Vault(vault).SetSecret("api-key", "first");
        var time = new FakeTimeProvider();
        var configuration = new ConfigurationManager();
        configuration["Odibi:KeyVaultReferences:ReloadInterval"] = "00:05:00";
        configuration["Partner:ApiKey"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=api-key)";
        configuration.AddKeyVaultReferences(o =>
        {
            o.UseLocalKeyVault(_server);
            o.TimeProvider = time;
        });

        _server.Vault(vault).SetSecret("api-key", "second");
        await ReloadAsync(configuration, time);

        Assert.Equal("second", configuration["Partner:ApiKey"]);
    }

    [Theory]
    [InlineData("30", "has no unit")]
    [InlineData("soon", "is not a time span")]
    [InlineData("-00:00:30", "is not positive")]
    public void Settings_FromConfiguration_BadTimeSpan_NamesThePathAndTheFix(string value, string expected)
    {
        var configuration = new ConfigurationManager();
        configuration["Odibi:KeyVaultReferences:FetchTimeout"] = value;

        var error = Assert.Throws<InvalidOperationException>(() => configuration.AddKeyVaultReferences(o => o.UseLocalKeyVault(_server)));

        Assert.StartsWith($"Odibi:KeyVaultReferences:FetchTimeout '{value}' ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeedSecrets_CreatesTheSecretsReferencesName()
    {
        var vault = UniqueVaultName("seed");
        var configuration = new ConfigurationManager();
        configuration["ConnectionStrings:Orders"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=orders-sql)";
        configuration["Partner:ApiKey"] = $"@Microsoft.KeyVault(SecretUri=https://{vault}.vault.azure.net/secrets/api-key)";

        var created = _server.SeedSecrets(configuration);
        configuration.AddKeyVaultReferences(o => o.UseLocalKeyVault(_server));

        Assert.Equal([$"{vault}/orders-sql", $"{vault}/api-key"], created.Order().Reverse());
        Assert.Equal(_server.Vault(vault).GetSecretValue("orders-sql"), configuration["ConnectionStrings:Orders"]);
    }

    [Fact]
    public void AddKeyVaultSecrets_LoadsEveryEnabledSecretWithDoubleDashAsColon_AndTheFilterPrefix()
    {
        var vault = UniqueVaultName("whole");
        _server.Vault(vault).SetSecret("orders--ConnectionStrings--Sql", "Server=orders");
        _server.Vault(vault).SetSecret("orders--ApiKey", "k-1");
        _server.Vault(vault).SetSecret("orders--Disabled", "off", enabled: false);
        _server.Vault(vault).SetSecret("billing--ApiKey", "k-2");
        var configuration = new ConfigurationManager();

        configuration.AddKeyVaultSecrets(_server.GetVaultUri(vault), o =>
        {
            o.UseLocalKeyVault(_server);
            o.Prefix = "orders--";
        });

        Assert.Equal("Server=orders", configuration["ConnectionStrings:Sql"]);
        Assert.Equal("k-1", configuration["ApiKey"]);
        Assert.Null(configuration["Disabled"]);
        Assert.DoesNotContain(configuration.AsEnumerable(), kv => kv.Value == "k-2");
    }

    [Fact]
    public void GetDebugView_MaskedAsDocumented_ShowsNoSecret()
    {
        var vault = UniqueVaultName("debug");
        _server.Vault(vault).SetSecret("api-key", "k-secret-123");
        var configuration = new ConfigurationManager();
        configuration["Partner:ApiKey"] = $"@Microsoft.KeyVault(VaultName={vault};SecretName=api-key)";
        configuration["Partner:Url"] = "https://partner.example.com/";
        configuration.AddKeyVaultReferences(o => o.UseLocalKeyVault(_server));

        var plain = ((IConfigurationRoot)configuration).GetDebugView();
        var masked = ((IConfigurationRoot)configuration).GetDebugView(c =>
            c.ConfigurationProvider.ToString()!.EndsWith("(Odibi.Extensions)", StringComparison.Ordinal) ? "***" : c.Value ?? "");

        Assert.Contains("ApiKey=k-secret-123 (Key Vault references (Odibi.Extensions))", plain, StringComparison.Ordinal); // what the docs warn of
        Assert.DoesNotContain("k-secret-123", masked, StringComparison.Ordinal);
        Assert.Contains("ApiKey=*** (Key Vault references (Odibi.Extensions))", masked, StringComparison.Ordinal);
        Assert.Contains("Url=https://partner.example.com/", masked, StringComparison.Ordinal);
    }

    private static async Task ReloadAsync(IConfigurationRoot configuration, FakeTimeProvider time)
    {
        time.Advance(TimeSpan.FromMinutes(5));
        var provider = configuration.Providers.OfType<Odibi.Extensions.Internal.References.KeyVaultConfigurationProvider>().Single();
        await provider.ReloadTask.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
