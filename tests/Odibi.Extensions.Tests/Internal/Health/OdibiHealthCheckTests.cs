using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Health;

public sealed class OdibiHealthCheckTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "c2VjcmV0LWtleS12YWx1ZS1mb3ItaGVhbHRoLWNoZWNr";

    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
        _server.Vault(_vault).SetSecret("bronze-key", Secret);
        _server.Vault(_vault).SetSecret("partner-key", Secret);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task CheckHealth_AllReady_HealthyWithOneEntryPerConnection()
    {
        using var host = Build(Json(), _server, Health(), output: output);
        await host.StartAsync();

        var entry = await CheckAsync(host);
        await host.StopAsync();

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("2 of 2 connections ready.", entry.Description);
        Assert.Equal(["bronze", "partner"], entry.Data.Keys.Order(StringComparer.Ordinal));
        var bronze = Assert.IsType<Dictionary<string, object?>>(entry.Data["bronze"]);
        Assert.Equal("Ready", bronze["status"]);
        Assert.Equal("KeyVault", bronze["authMode"]);
        Assert.IsType<double>(bronze["durationMs"]);
        Assert.Null(bronze["error"]);
        AssertNoSecret(entry);
    }

    [Fact]
    public async Task CheckHealth_OnlyOptionalFailed_Degraded()
    {
        _server.Vault(_vault).InjectFault("partner-key", LocalKeyVaultFault.Status(403).Always());
        using var host = Build(Json(partnerOptional: true), _server, Health(), output: output);
        await host.StartAsync();

        var entry = await CheckAsync(host);
        await host.StopAsync();

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("partner (optional, failed)", entry.Description, StringComparison.Ordinal);
        var partner = Assert.IsType<Dictionary<string, object?>>(entry.Data["partner"]);
        Assert.Equal("Failed", partner["status"]);
        Assert.StartsWith("Azure.RequestFailedException: Connection 'partner'", (string)partner["error"]!, StringComparison.Ordinal);
        AssertNoSecret(entry);
    }

    [Theory]
    [InlineData(null, HealthStatus.Unhealthy)]
    [InlineData(HealthStatus.Degraded, HealthStatus.Degraded)]
    public async Task CheckHealth_RequiredFailedUnderDegrade_ReportsFailureStatus(HealthStatus? failureStatus, HealthStatus expected)
    {
        _server.Vault(_vault).InjectFault("partner-key", LocalKeyVaultFault.Status(403).Always());
        using var host = Build(Json(policy: "Degrade"), _server, Health(failureStatus), output: output);
        await host.StartAsync();

        var entry = await CheckAsync(host);
        await host.StopAsync();

        Assert.Equal(expected, entry.Status);
        Assert.Contains("partner (failed)", entry.Description, StringComparison.Ordinal);
        AssertNoSecret(entry);
    }

    [Fact]
    public async Task CheckHealth_BackgroundPrefetchRunning_UnhealthyUntilDone()
    {
        _server.Vault(_vault).Latency = TimeSpan.FromSeconds(1);
        using var host = Build(Json(policy: "Background"), _server, Health(), output: output);
        await host.StartAsync();

        var during = await CheckAsync(host);
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (connections.LastPrefetch is null)
        {
            await Task.Delay(20, patience.Token);
        }

        var after = await CheckAsync(host);
        await host.StopAsync();

        Assert.Equal(HealthStatus.Unhealthy, during.Status);
        Assert.Contains("bronze (prefetch running)", during.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, after.Status);
    }

    [Fact]
    public async Task CheckHealth_RefreshFailing_DegradedWhileLastGoodValueServed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Build(Json(refresh: "\"Interval\": \"00:05:00\""), _server, b =>
        {
            Health()(b);
            b.Services.AddSingleton<TimeProvider>(time);
        }, output: output);
        await host.StartAsync();
        var bronze = host.Services.GetRequiredService<IAdlsConnections>()["bronze"];
        _server.Vault(_vault).InjectFault("bronze-key", LocalKeyVaultFault.Status(503).Always());

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (bronze.Status != ConnectionStatus.Degraded)
        {
            time.Advance(TimeSpan.FromMinutes(5));
            await Task.Delay(20, patience.Token);
        }

        var entry = await CheckAsync(host);
        await host.StopAsync();

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("bronze (refresh failing, last good secret served)", entry.Description, StringComparison.Ordinal);
        Assert.Equal(Secret, await bronze.GetStorageKeyAsync());
        AssertNoSecret(entry);
    }

    [Fact]
    public void AddOdibiConnections_HealthCheckAddedTwice_RegisteredOnce()
    {
        var services = new ServiceCollection();
        services.AddHealthChecks().AddOdibiConnections().AddOdibiConnections();
        services.AddHealthChecks().AddOdibiConnections(name: "storage");

        var registrations = services.BuildServiceProvider().GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        Assert.Equal(["odibi-connections", "storage"], registrations.Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    private static Action<HostApplicationBuilder> Health(HealthStatus? failureStatus = null) =>
        builder => builder.Services.AddHealthChecks().AddOdibiConnections(failureStatus: failureStatus);

    private static async Task<HealthReportEntry> CheckAsync(IHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["odibi-connections"];
    }

    private static void AssertNoSecret(HealthReportEntry entry)
    {
        var text = System.Text.Json.JsonSerializer.Serialize(new { entry.Description, entry.Data, Exception = entry.Exception?.ToString() });
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
    }

    private string Json(string policy = "FailFast", bool partnerOptional = false, string refresh = "") => OdibiJson(
        $"\"bronze\": {KeyVaultConnection("bronze001", _vault, "bronze-key")}, \"partner\": {KeyVaultConnection("partner001", _vault, "partner-key", partnerOptional)}",
        prefetch: $"\"Policy\": \"{policy}\"",
        refresh: refresh);
}
