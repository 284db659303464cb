using System.Reflection;
using System.Text.Json;
using Odibi.Extensions.Internal;

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
    public void Enums_Schema_ListsEveryName()
    {
        Assert.Equal(Enum.GetNames<AdlsAuthMode>(), Connection.GetProperty("properties").GetProperty("AuthMode").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(Enum.GetNames<PrefetchPolicy>(), Odibi.GetProperty("properties").GetProperty("Prefetch").GetProperty("properties").GetProperty("Policy")
            .GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    private static string[] Properties(JsonElement schema) => Sorted(schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));

    private static string[] Settable<T>() => Sorted(typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name));

    private static string[] Sorted(IEnumerable<string> names) => [.. names.Order(StringComparer.Ordinal)];
}
