using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Tests.Infrastructure;

namespace Odibi.Extensions.Tests.Internal;

public class OdibiOptionsValidatorTests
{
    private const string Key = TestConfiguration.AzuriteKey;
    private const string Sas = "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";
    private const string ClientSecret = "Zx9~q8Q~client.secret-value_42";
    private const string Vault = "\"KeyVaultName\": \"my-production-kv\", \"SecretName\": \"bronze-storage-key\"";
    private const string Spn = "\"TenantId\": \"72f988bf-86f1-41af-91ab-2d7cd011db47\", \"ClientId\": \"0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21\"";
    private const string Base = "\"Account\": \"dlsbronzeprod001\", \"Container\": \"bronze\"";

    /// <summary>Bad connection settings: the JSON of connection 'bronze', the setting path the message must name, a
    /// fragment the message must contain, and a secret that must not appear.</summary>
    public static TheoryData<string, string, string, string?> BadConnections() => new()
    {
        { $$"""{ "Account": "Bronze_Store", "Container": "bronze", "AuthMode": "KeyVault", {{Vault}} }""", "Account", "'Bronze_Store' is not a valid storage account name: use 3-24 lowercase letters and digits", null },
        { $$"""{ "Account": "ab", "Container": "bronze", "AuthMode": "KeyVault", {{Vault}} }""", "Account", "'ab'", null },
        { $$"""{ "Account": "abcdefghijklmnopqrstuvwxy", "Container": "bronze", "AuthMode": "KeyVault", {{Vault}} }""", "Account", "3-24", null },
        { $$"""{ "Container": "bronze", "AuthMode": "KeyVault", {{Vault}} }""", "Account", "is missing", null },
        { $$"""{ "Account": "   ", "Container": "bronze", "AuthMode": "KeyVault", {{Vault}} }""", "Account", "is missing", null },
        { $$"""{ "Account": null, "Container": "bronze", "AuthMode": "KeyVault", {{Vault}} }""", "Account", "is missing", null },
        { $$"""{ "Account": "dlsbronzeprod001", "AuthMode": "KeyVault", {{Vault}} }""", "Container", "is missing", null },
        { $$"""{ "Account": "dlsbronzeprod001", "Container": "Bronze", "AuthMode": "KeyVault", {{Vault}} }""", "Container", "'Bronze' is not a valid container name", null },
        { $$"""{ "Account": "dlsbronzeprod001", "Container": "ab", "AuthMode": "KeyVault", {{Vault}} }""", "Container", "3-63", null },
        { $$"""{ "Account": "dlsbronzeprod001", "Container": "raw--data", "AuthMode": "KeyVault", {{Vault}} }""", "Container", "no '--'", null },
        { $$"""{ "Account": "dlsbronzeprod001", "Container": "-raw", "AuthMode": "KeyVault", {{Vault}} }""", "Container", "starting and ending with a letter or digit", null },
        { $$"""{ {{Base}}, "PathPrefix": "raw\\ingestion", "AuthMode": "KeyVault", {{Vault}} }""", "PathPrefix", "no '\\'", null },
        { $$"""{ {{Base}}, "PathPrefix": "raw/../etc", "AuthMode": "KeyVault", {{Vault}} }""", "PathPrefix", "'..'", null },
        { $$"""{ {{Base}}, {{Vault}} }""", "AuthMode", "is missing: set it to one of KeyVault, DirectKey, SasToken, ServicePrincipal, ManagedIdentity", null },
        { $$"""{ {{Base}}, "AuthMode": "Keyvalt", {{Vault}} }""", "AuthMode", "'Keyvalt' is not valid: use one of KeyVault, DirectKey, SasToken, ServicePrincipal, ManagedIdentity", null },
        { $$"""{ {{Base}}, "AuthMode": "3", {{Vault}} }""", "AuthMode", "'3' is not valid", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "SecretName": "bronze-storage-key" }""", "KeyVaultName", "is missing", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "my-production-kv" }""", "SecretName", "is missing", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "1vault", "SecretName": "s" }""", "KeyVaultName", "'1vault' is not a valid vault name", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "my--vault", "SecretName": "s" }""", "KeyVaultName", "no '--'", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "kv", "SecretName": "s" }""", "KeyVaultName", "3-24", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "http://kv1.vault.azure.net/", "SecretName": "s" }""", "KeyVaultName", "is not a vault URI", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "https://kv1.vault.azure.net/", "KeyVaultDnsSuffix": "vault.azure.cn", "SecretName": "s" }""", "KeyVaultDnsSuffix", "remove KeyVaultDnsSuffix", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "kv1", "KeyVaultDnsSuffix": ".vault.azure.cn", "SecretName": "s" }""", "KeyVaultDnsSuffix", "is not a DNS suffix", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "kv1", "SecretName": "bronze_key!" }""", "SecretName", "'bronze_key!' is not a valid secret name", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "kv1", "SecretName": "{{new string('a', 128)}}" }""", "SecretName", "1-127", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", {{Vault}}, "SecretVersion": "latest" }""", "SecretVersion", "32-character", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", {{Vault}}, "AccountKey": "{{Key}}" }""", "AccountKey", "is not used with AuthMode KeyVault", Key },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", {{Vault}}, "SasToken": "{{Sas}}" }""", "SasToken", "is not used with AuthMode KeyVault", Sas },
        { $$"""{ {{Base}}, "AuthMode": "DirectKey" }""", "AccountKey", "is missing", null },
        { $$"""{ {{Base}}, "AuthMode": "DirectKey", "AccountKey": "not a key at all!" }""", "AccountKey", "not base64", "not a key at all!" },
        { $$"""{ {{Base}}, "AuthMode": "DirectKey", "AccountKey": "{{Key}}", {{Vault}} }""", "KeyVaultName", "is not used with AuthMode DirectKey", Key },
        { $$"""{ {{Base}}, "AuthMode": "DirectKey", "AccountKey": "{{Key}}", "ClientSecret": "{{ClientSecret}}" }""", "ClientSecret", "is not used with AuthMode DirectKey", ClientSecret },
        { $$"""{ {{Base}}, "AuthMode": "SasToken" }""", "SasToken", "is missing", null },
        { $$"""{ {{Base}}, "AuthMode": "SasToken", "SasToken": "sv=2022-11-02&sp=r&secretpart=abc" }""", "SasToken", "no 'sig=' signature", "secretpart=abc" },
        { $$"""{ {{Base}}, "AuthMode": "SasToken", "SasToken": "{{Sas}}", {{Vault}} }""", "SasToken", "not both", Sas },
        { $$"""{ {{Base}}, "AuthMode": "SasToken", "SasToken": "{{Sas}}", "AccountKey": "{{Key}}" }""", "AccountKey", "is not used with AuthMode SasToken", Key },
        { $$"""{ {{Base}}, "AuthMode": "ServicePrincipal", "ClientId": "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", "ClientSecret": "{{ClientSecret}}" }""", "TenantId", "is missing", ClientSecret },
        { $$"""{ {{Base}}, "AuthMode": "ServicePrincipal", "TenantId": "not a tenant", "ClientId": "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", {{Vault}} }""", "TenantId", "'not a tenant' is not a tenant id", null },
        { $$"""{ {{Base}}, "AuthMode": "ServicePrincipal", "TenantId": "contoso.onmicrosoft.com", {{Vault}} }""", "ClientId", "is missing", null },
        { $$"""{ {{Base}}, "AuthMode": "ServicePrincipal", "TenantId": "contoso.onmicrosoft.com", "ClientId": "my-app", {{Vault}} }""", "ClientId", "'my-app' is not a client id", null },
        { $$"""{ {{Base}}, "AuthMode": "ServicePrincipal", {{Spn}} }""", "ClientSecret", "is missing", null },
        { $$"""{ {{Base}}, "AuthMode": "ServicePrincipal", {{Spn}}, "ClientSecret": "{{ClientSecret}}", {{Vault}} }""", "ClientSecret", "not both", ClientSecret },
        { $$"""{ {{Base}}, "AuthMode": "ManagedIdentity", {{Vault}} }""", "SecretName", "is not used with AuthMode ManagedIdentity", null },
        { $$"""{ {{Base}}, "AuthMode": "ManagedIdentity", "AccountKey": "{{Key}}" }""", "AccountKey", "is not used with AuthMode ManagedIdentity", Key },
        { $$"""{ {{Base}}, "AuthMode": "ManagedIdentity", "EndpointSuffix": "https://core.windows.net" }""", "EndpointSuffix", "is not a DNS suffix", null },
        { $$"""{ {{Base}}, "AuthMode": "ManagedIdentity", "BlobServiceUri": "127.0.0.1:10000" }""", "BlobServiceUri", "is not an absolute http(s) URI", null },
        { $$"""{ {{Base}}, "AuthMode": "ManagedIdentity", "BlobServiceUri": "http://127.0.0.1:10000/devstoreaccount1" }""", "BlobServiceUri", "is http, but AuthMode ManagedIdentity sends a bearer token", null },
        { $$"""{ {{Base}}, "Acount": "x", "AuthMode": "ManagedIdentity" }""", "Acount", "did you mean 'Account'?", null },
        { $$"""{ {{Base}}, "AuthMode": "DirectKey", "AcountKey": "{{Key}}" }""", "AcountKey", "did you mean 'AccountKey'?", Key },
        { $$"""{ {{Base}}, "AuthMode": "ManagedIdentity", "Optional": "yes" }""", "Optional", "'yes' is not a boolean", null },
        { "\"dlsbronzeprod001\"", "", "is a single value, not a connection", null },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", {{Vault}}, "BlobServiceUri": "https://dlsbronzeprod001.blob.core.windows.net/?{{Sas}}" }""", "BlobServiceUri", "has a query: remove it", "sig=" },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", {{Vault}}, "BlobServiceUri": "https://dlsbronzeprod001.blob.core.windows.net/#frag-secret" }""", "BlobServiceUri", "has a fragment", "frag-secret" },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", {{Vault}}, "BlobServiceUri": "https://user:pa55word@dlsbronzeprod001.blob.core.windows.net/" }""", "BlobServiceUri", "has a user name or password", "pa55word" },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "https://user:pa55word@kv1.vault.azure.net/", "SecretName": "s" }""", "KeyVaultName", "has a user name or password", "pa55word" },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "https://kv1.vault.azure.net/?token=t0ken-secret", "SecretName": "s" }""", "KeyVaultName", "has a query", "t0ken-secret" },
        { $$"""{ {{Base}}, "AuthMode": "KeyVault", "KeyVaultName": "https://kv1.vault.azure.net/#frag-secret", "SecretName": "s" }""", "KeyVaultName", "has a fragment", "frag-secret" },
    };

    [Theory]
    [MemberData(nameof(BadConnections))]
    public void Validate_BadConnectionSetting_NamesPathAndFixWithoutSecret(string connectionJson, string setting, string fragment, string? secret)
    {
        var failures = Failures(TestConfiguration.OneConnection(connectionJson));

        var path = setting.Length == 0 ? "Odibi:Connections:bronze" : $"Odibi:Connections:bronze:{setting}";
        var message = Assert.Single(failures, f => f.StartsWith(path + " ", StringComparison.Ordinal));
        Assert.Contains(fragment, message, StringComparison.Ordinal);
        Assert.Contains(": ", message, StringComparison.Ordinal); // every message ends with the fix after a colon
        if (secret is not null)
        {
            Assert.All(failures, f => Assert.DoesNotContain(secret, f, StringComparison.Ordinal));
        }
    }

    public static TheoryData<string, string, string> BadSections() => new()
    {
        { """{ "Odibi": { } }""", "Odibi:Connections", "has no connections" },
        { """{ "Other": { "Connections": { } } }""", "Odibi:Connections", "has no connections" },
        { """{ "Odibi": { "Conections": { "bronze": { } } } }""", "Odibi:Conections", "did you mean 'Connections'?" },
        { Prefetch("\"MaxConcurrency\": 0"), "Odibi:Prefetch:MaxConcurrency", "'0' is out of range: use 1 to 4000" },
        { Prefetch("\"MaxConcurrency\": \"many\""), "Odibi:Prefetch:MaxConcurrency", "'many' is not a whole number" },
        { Prefetch("\"FetchTimeout\": \"30\""), "Odibi:Prefetch:FetchTimeout", "write it as hh:mm:ss, e.g. 00:00:30" },
        { Prefetch("\"FetchTimeout\": \"-00:00:01\""), "Odibi:Prefetch:FetchTimeout", "must be positive" },
        { Prefetch("\"StartupTimeout\": \"soon\""), "Odibi:Prefetch:StartupTimeout", "'soon' is not a time span" },
        { Prefetch("\"Policy\": \"Fast\""), "Odibi:Prefetch:Policy", "use one of FailFast, Degrade, Background" },
        { Prefetch("\"VerifyStorage\": \"sometimes\""), "Odibi:Prefetch:VerifyStorage", "is not a boolean" },
        { Prefetch("\"Retries\": 3"), "Odibi:Prefetch:Retries", "is not a known setting" },
        { """{ "Odibi": { "Refresh": { "Interval": "00:00:00" }, "Connections": { "mi": { "Account": "mistore", "Container": "lake", "AuthMode": "ManagedIdentity" } } } }""", "Odibi:Refresh:Interval", "use 00:00:01 to 49.00:00:00" },
        { Section("\"Refresh\": { \"Interval\": \"00:00:00.0001\" }"), "Odibi:Refresh:Interval", "use 00:00:01 to 49.00:00:00" },
        { Section("\"Refresh\": { \"Interval\": \"50.00:00:00\" }"), "Odibi:Refresh:Interval", "use 00:00:01 to 49.00:00:00" },
        { Prefetch("\"FetchTimeout\": \"60.00:00:00\""), "Odibi:Prefetch:FetchTimeout", "is too long: use at most 49.00:00:00" },
        { Prefetch("\"StartupTimeout\": \"50.00:00:00\""), "Odibi:Prefetch:StartupTimeout", "is too long: use at most 49.00:00:00" },
        { Prefetch("\"StartupTimeout\": \"00:00:00\""), "Odibi:Prefetch:StartupTimeout", "must be positive" },
        { Section("\"Prefetch\": \"Degrade\""), "Odibi:Prefetch", "is a single value, not a section: write it as Odibi:Prefetch:Policy" },
        { Section("\"Refresh\": \"01:00:00\""), "Odibi:Refresh", "is a single value, not a section: write it as Odibi:Refresh:Interval" },
        { Section("\"Credential\": \"managedidentity\""), "Odibi:Credential", "is a single value, not a section: write it as Odibi:Credential:credential" },
        { Section("\"Credential\": { \"credential\": \"managedidentiy\" }"), "Odibi:Credential:credential", "'managedidentiy' is not a credential kind: did you mean 'managedidentity'?" },
        { Section("\"Credential\": { \"credential\": \"managedidentity\", \"clientid\": \"x\", \"tenantI\": \"y\" }"), "Odibi:Credential:tenantI", "is not a known setting: did you mean 'tenantId'?" },
        { """{ "Odibi": { "Connections": [ { "Account": "bronzestore", "Container": "bronze", "AuthMode": "ManagedIdentity" } ] } }""", "Odibi:Connections", "is a list (a JSON array), so its connections have no names: write it as an object keyed by connection name" },
        { Section("\"Prefetch\": [ \"Degrade\" ]"), "Odibi:Prefetch", "is a list (a JSON array), not a section of named settings" },
        { """{ "Odibi": { "Connections": { "brönze": { "Account": "bronzestore", "Container": "bronze", "AuthMode": "ManagedIdentity" } } } }""", "Odibi:Connections:'brönze'", "use 1-64 ASCII letters (a-z, A-Z), digits" },
    };

    [Fact]
    public void Validate_ProblemsOfSeveralConnections_GroupedByConnectionInConfigurationOrder()
    {
        var failures = Failures(TestConfiguration.FromJson("""
            { "Odibi": { "Prefetch": { "MaxConcurrency": 0 }, "Connections": {
                "bronze": { "Account": "Bronze_Store", "Container": "b", "AuthMode": "KeyVault", "Colour": "red" },
                "silver": { "Account": "silverstore", "Container": "s", "AuthMode": "DirectKey", "Shade": "grey" } } } }
            """));

        var groups = failures.Select(f => f.StartsWith("Odibi:Connections:bronze", StringComparison.Ordinal) ? "bronze"
            : f.StartsWith("Odibi:Connections:silver", StringComparison.Ordinal) ? "silver" : "shared").ToList();
        Assert.True(failures.Count >= 6, string.Join(Environment.NewLine, failures)); // Colour, Shade (read), Account, Container x2, key rules (validated)
        var runs = groups.Where((group, i) => i == 0 || groups[i - 1] != group).ToList();
        Assert.Equal(["shared", "bronze", "silver"], runs); // each group in one run, in configuration order
    }

    [Theory]
    [MemberData(nameof(BadSections))]
    public void Validate_BadSectionSetting_NamesPathAndFix(string json, string path, string fragment)
    {
        var failures = Failures(TestConfiguration.FromJson(json));

        var message = Assert.Single(failures, f => f.StartsWith(path + " ", StringComparison.Ordinal));
        Assert.Contains(fragment, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhitespaceOrNullInCode_ReportsEachConnection()
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(options =>
        {
            options.Connections[" "] = new AdlsConnectionOptions { Account = "acct001", Container = "data", AuthMode = AdlsAuthMode.ManagedIdentity };
            options.Connections["nulls"] = null!;
            options.Connections["nullaccount"] = new AdlsConnectionOptions { Account = null!, Container = "data", AuthMode = AdlsAuthMode.ManagedIdentity };
            options.Connections["badmode"] = new AdlsConnectionOptions { Account = "acct001", Container = "data", AuthMode = (AdlsAuthMode)42 };
            options.Prefetch.Policy = (PrefetchPolicy)9;
        });

        var failures = TestConfiguration.Problems(Assert.Throws<OptionsValidationException>(() => services.BuildServiceProvider().GetRequiredService<IOptions<OdibiOptions>>().Value));

        Assert.Contains(failures, f => f.StartsWith("Odibi:Connections:' ' is not a valid connection name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Odibi:Connections:nulls is null", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Odibi:Connections:nullaccount:Account is missing", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Odibi:Connections:badmode:AuthMode '42' is not valid", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Odibi:Prefetch:Policy '9' is not valid", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOneInOneException()
    {
        var configuration = TestConfiguration.FromJson($$"""
            { "Odibi": { "Prefetch": { "MaxConcurrency": -1 }, "Connections": {
                "bronze": { "Account": "Bronze_Store", "Container": "bronze", "AuthMode": "KeyVault", "KeyVaultName": "my-production-kv" },
                "silver": { "Account": "silver001", "Container": "s", "AuthMode": "DirectKey", "AccountKey": "{{Key}}", "SecretName": "x" } } } }
            """);

        var failures = Failures(configuration);

        Assert.Equal(
            [
                "Odibi:Connections:bronze:Account", "Odibi:Connections:bronze:SecretName", "Odibi:Connections:silver:Container",
                "Odibi:Connections:silver:SecretName", "Odibi:Prefetch:MaxConcurrency",
            ],
            failures.Select(f => f[..f.IndexOf(' ', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
        Assert.All(failures, f => Assert.DoesNotContain(Key, f, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SectionUnderAnotherName_NamesThatPath()
    {
        var configuration = TestConfiguration.FromJson("""{ "Storage": { "Lake": { "Connections": { "gold": { "Account": "GOLD", "Container": "gold", "AuthMode": "ManagedIdentity" } } } } }""");

        var failures = Failures(configuration.GetSection("Storage:Lake"));

        Assert.Equal(["Storage:Lake:Connections:gold:Account 'GOLD' is not a valid storage account name: use 3-24 lowercase letters and digits."], failures);
    }

    [Fact]
    public void Validate_GoodConfigurationWithAllModes_Succeeds()
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(TestConfiguration.FromFile("all-modes.json"));

        var options = services.BuildServiceProvider().GetRequiredService<IOptions<OdibiOptions>>().Value;

        Assert.Equal(5, options.Connections.Count);
    }

    private static List<string> Failures(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(configuration);
        using var provider = services.BuildServiceProvider();
        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<OdibiOptions>>().Value);
        return TestConfiguration.Problems(exception);
    }

    [Fact]
    public void Validate_CredentialSecretsMisplaced_NeverEchoesTheirValues()
    {
        var failures = Failures(TestConfiguration.FromJson(Section("\"Credential\": { \"clientSecrt\": \"Zx9~q8Q~hidden\", \"credential\": \"workloadidentiy\" }")));

        Assert.Contains(failures, f => f.StartsWith("Odibi:Credential:clientSecrt is not a known setting: did you mean 'clientSecret'?", StringComparison.Ordinal));
        Assert.All(failures, f => Assert.DoesNotContain("Zx9~q8Q~hidden", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Read_TenThousandConnections_LooksUpEachSettingOnce()
    {
        var data = new Dictionary<string, string?>();
        for (var i = 0; i < 10_000; i++)
        {
            data[$"Odibi:Connections:c{i}:Account"] = "acct001";
            data[$"Odibi:Connections:c{i}:Container"] = "data";
            data[$"Odibi:Connections:c{i}:AuthMode"] = "ManagedIdentity";
        }

        var source = new CountingSource(data);
        var configuration = new ConfigurationBuilder().Add(source).Build();
        var options = new OdibiOptions();

        Odibi.Extensions.Internal.OdibiConfigurationReader.Read(configuration.GetSection("Odibi"), options, configuration);

        Assert.Equal(10_000, options.Connections.Count);
        Assert.Empty(options.BindingErrors);
        // Linear: a bounded number of whole-key scans, not one per connection (which would be 10,000 scans of 30,000 keys).
        Assert.InRange(source.Provider.KeysScanned, 1, 20 * data.Count);
    }

    private static string Section(string settings) =>
        $$"""{ "Odibi": { {{settings}}, "Connections": { "mi": { "Account": "mistore", "Container": "lake", "AuthMode": "ManagedIdentity" } } } }""";

    private static string Prefetch(string setting) =>
        $$"""{ "Odibi": { "Prefetch": { {{setting}} }, "Connections": { "mi": { "Account": "mistore", "Container": "lake", "AuthMode": "ManagedIdentity" } } } }""";

    /// <summary>An in-memory configuration source that counts the keys its provider walks through to list children.</summary>
    private sealed class CountingSource(Dictionary<string, string?> data) : IConfigurationSource
    {
        public CountingProvider Provider { get; } = new(data);

        public IConfigurationProvider Build(IConfigurationBuilder builder) => Provider;
    }

    private sealed class CountingProvider : ConfigurationProvider
    {
        public CountingProvider(Dictionary<string, string?> data)
        {
            foreach (var (key, value) in data)
            {
                Data[key] = value;
            }
        }

        public long KeysScanned { get; private set; }

        public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
        {
            KeysScanned += Data.Count;
            return base.GetChildKeys(earlierKeys, parentPath);
        }
    }
}
