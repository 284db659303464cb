using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Tests.Infrastructure;
using Odibi.Extensions.Tests.Testing;

namespace Odibi.Extensions.Tests.Samples;

/// <summary>The WebApi sample, started in-process against its LocalKeyVault.</summary>
public sealed class WebApiTests
{
    private readonly ITestOutputHelper _output;

    public WebApiTests(ITestOutputHelper output)
    {
        TestThreadPool.EnsureMinThreads();
        _output = output;
    }

    [Fact]
    public async Task HealthReady_AllConnectionsReady_HealthyJsonPerConnection()
    {
        await using var app = Quiet(new WebApplicationFactory<Program>());
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/health/ready");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", json.GetProperty("status").GetString());
        var data = json.GetProperty("entries").GetProperty("odibi-connections").GetProperty("data");
        Assert.Equal(["bronze", "partner", "silver"], data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(data.EnumerateObject(), p => Assert.Equal("Ready", p.Value.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task HealthReady_ProductionEnvironment_StillTheLocalVault()
    {
        await using var app = Quiet(new WebApplicationFactory<Program>()).WithWebHostBuilder(b => b.UseEnvironment("Production"));
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthReady_OptionalConnectionFailed_DegradedJsonWithError()
    {
        await using var app = Quiet(new WebApplicationFactory<Program>()).WithWebHostBuilder(b => b.UseSetting("LocalKeyVault:Fail", "partner"));
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/health/ready");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // Degraded still serves traffic
        Assert.Equal("Degraded", json.GetProperty("status").GetString());
        var partner = json.GetProperty("entries").GetProperty("odibi-connections").GetProperty("data").GetProperty("partner");
        Assert.Equal("Failed", partner.GetProperty("status").GetString());
        Assert.Contains("403", partner.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthReady_RequiredConnectionFailedUnderDegrade_ServiceUnavailable()
    {
        await using var app = Quiet(new WebApplicationFactory<Program>()).WithWebHostBuilder(b => b
            .UseSetting("LocalKeyVault:Fail", "silver")
            .UseSetting("Odibi:Prefetch:Policy", "Degrade"));
        using var client = app.CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        using var live = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Connections_ListsNamesAccountsUrisAndStatusWithoutSecrets()
    {
        await using var app = Quiet(new WebApplicationFactory<Program>());
        using var client = app.CreateClient();

        var body = await client.GetStringAsync("/connections");
        var bronze = JsonDocument.Parse(body).RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "bronze");

        Assert.Equal("dlsbronzeprod001", bronze.GetProperty("account").GetString());
        Assert.Equal("abfss://bronze@dlsbronzeprod001.dfs.core.windows.net/raw/ingestion/", bronze.GetProperty("uri").GetString());
        Assert.Equal("Ready", bronze.GetProperty("status").GetString());
        Assert.DoesNotContain("sig=", body, StringComparison.Ordinal);
        Assert.DoesNotContain("key\":", body, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The app logging to the test's output, not the console: a passing test prints nothing, a failing one shows the log.</summary>
    private WebApplicationFactory<Program> Quiet(WebApplicationFactory<Program> app) =>
        app.WithWebHostBuilder(b => b.ConfigureLogging(logging => logging.ClearProviders().AddProvider(new TestOutputLoggerProvider(_output))));
}
