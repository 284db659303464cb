using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Tests.Infrastructure;

namespace Odibi.Extensions.Tests;

/// <summary>The JSON schema shipped for editors lists exactly what the configuration reader reads, and what the options classes hold.</summary>
public class ConfigurationSchemaTests
{
    private static readonly JsonElement Odibi = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "ConfigurationSchema.json")))
        .RootElement.GetProperty("properties").GetProperty("Odibi");

    private static readonly JsonElement Connection = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "ConfigurationSchema.json")))
        .RootElement.GetProperty("definitions").GetProperty("connection");

    [Fact]
    public void Connection_SchemaReaderAndOptions_ListTheSameSettings()
    {
        Assert.Equal(Sorted(OdibiConfigurationReader.ConnectionKeys), Properties(Connection));
        Assert.Equal(Sorted(OdibiConfigurationReader.ConnectionKeys), Settable<AdlsConnectionOptions>());
        Assert.False(Connection.GetProperty("additionalProperties").GetBoolean());
    }

    [Fact]
    public void Sections_SchemaReaderAndOptions_ListTheSameSettings()
    {
        Assert.Equal(Sorted(OdibiConfigurationReader.RootKeys), Properties(Odibi));
        Assert.Equal(Sorted(OdibiConfigurationReader.PrefetchKeys), Properties(Odibi.GetProperty("properties").GetProperty("Prefetch")));
        Assert.Equal(Sorted(OdibiConfigurationReader.PrefetchKeys), Settable<PrefetchOptions>());
        Assert.Equal(Sorted(OdibiConfigurationReader.RefreshKeys), Properties(Odibi.GetProperty("properties").GetProperty("Refresh")));
        Assert.Equal(Sorted(OdibiConfigurationReader.RefreshKeys), Settable<RefreshOptions>());
        Assert.Equal(Sorted(OdibiConfigurationReader.RootKeys.Where(k => k != "Credential")), Sorted(typeof(OdibiOptions)
            .GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name)));
    }

    [Fact]
    public void Connection_DocsTable_ListsEverySettingWithItsModes()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));
        var table = docs[docs.IndexOf("<!-- settings:", StringComparison.Ordinal)..docs.IndexOf("<!-- /settings -->", StringComparison.Ordinal)];
        var modes = Enum.GetValues<AdlsAuthMode>();
        var rows = table.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).Select(l => l.Split('|').Select(c => c.Trim()).ToArray()).ToList();

        Assert.Equal(ConnectionSetting.All.Select(s => $"`{s.Name}`"), rows.Select(r => r[1]));
        foreach (var (setting, row) in ConnectionSetting.All.Zip(rows))
        {
            Assert.Equal(modes.Select(m => setting.Modes.Contains(m) ? "✓" : ""), row[2..(2 + modes.Length)]);
        }
    }

    [Fact]
    public void Connection_Reader_ReadsEveryTextSetting()
    {
        foreach (var setting in ConnectionSetting.All.Where(s => s.Set is not null))
        {
            var configuration = TestConfiguration.FromJson($$"""{ "Odibi": { "Connections": { "c": { "{{setting.Name}}": "value-of-{{setting.Name}}" } } } }""");
            var options = new OdibiOptions();

            OdibiConfigurationReader.Read(configuration.GetSection("Odibi"), options, configuration);

            Assert.Equal($"value-of-{setting.Name}", setting.Get(options.Connections["c"]));
            Assert.Equal($"value-of-{setting.Name}", typeof(AdlsConnectionOptions).GetProperty(setting.Name)!.GetValue(options.Connections["c"]));
        }
    }

    [Fact]
    public void Connection_SettingInAModeThatDoesNotUseIt_IsRefusedNamingItAndTheMode()
    {
        foreach (var setting in ConnectionSetting.All.Where(s => s.Set is not null))
        {
            foreach (var mode in Enum.GetValues<AdlsAuthMode>().Where(m => !setting.Modes.Contains(m)))
            {
                var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
                services.AddOdibiConnections(TestConfiguration.FromJson(
                    $$"""{ "Odibi": { "Connections": { "c": { "Account": "acct001", "Container": "data", "AuthMode": "{{mode}}", "{{setting.Name}}": "x" } } } }"""));
                using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
                var exception = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
                    Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.Extensions.Options.IOptions<OdibiOptions>>(provider).Value);

                Assert.Contains($"Odibi:Connections:c:{setting.Name} is not used with AuthMode {mode}: ", exception.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Enums_Schema_ListsEveryName()
    {
        Assert.Equal(Enum.GetNames<AdlsAuthMode>(), Connection.GetProperty("properties").GetProperty("AuthMode").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(Enum.GetNames<PrefetchPolicy>(), Odibi.GetProperty("properties").GetProperty("Prefetch").GetProperty("properties").GetProperty("Policy")
            .GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    private static string[] Properties(JsonElement schema) => Sorted(schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));

    private static string[] Settable<T>() => Sorted(typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name));

    private static string[] Sorted(IEnumerable<string> names) => [.. names.Order(StringComparer.Ordinal)];

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Odibi.Extensions.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (Odibi.Extensions.sln) is not above the test output.");
    }
}
