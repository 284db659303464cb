using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Tests.Infrastructure;

internal static class TestConfiguration
{
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>
    /// The problems of a failed validation: its one failure is a heading line and then one problem per line, so the
    /// exception's message reads as a list.
    /// </summary>
    public static List<string> Problems(OptionsValidationException exception)
    {
        var failure = Assert.Single(exception.Failures);
        var lines = failure.Split(Environment.NewLine);
        Assert.Matches(@"^The [^ ]+ configuration has (a problem|\d+ problems):$", lines[0]);
        return [.. lines.Skip(1)];
    }

    public static IConfigurationRoot FromJson(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    public static IConfigurationRoot FromFile(string name) =>
        new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "TestData", name)).Build();

    /// <summary>A configuration with one connection, <c>bronze</c>, described by <paramref name="connectionJson"/>.</summary>
    public static IConfigurationRoot OneConnection(string connectionJson) =>
        FromJson($$"""{ "Odibi": { "Connections": { "bronze": {{connectionJson}} } } }""");
}
