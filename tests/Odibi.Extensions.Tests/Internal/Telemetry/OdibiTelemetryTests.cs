using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.Telemetry;

public sealed class OdibiTelemetryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "TEAK-c2VjcmV0LWtleS12YWx1ZS1mb3ItbGVhay1zY2Fu";
    private const string RotatedSecret = "TEAK-cm90YXRlZC1zZWNyZXQtZm9yLWxlYWstc2Nhbg==";
    private const string InlineKey = "TEAKaW5saW5lLWFjY291bnQta2V5LWZvci1sZWFrLXNjYW4=";

    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task SuccessFailureAndRefresh_NoSecretInLogsExceptionsActivitiesOrMetrics()
    {
        var vaultName = UniqueVaultName();
        var vault = _server.Vault(vaultName);
        vault.SetSecret("good-key", Secret);
        vault.SetSecret("bad-key", Secret);
        vault.InjectFault("bad-key", LocalKeyVaultFault.Status(403).Always());
        var seen = new ConcurrentBag<string>();
        using var activities = ListenToActivities(seen);
        using var meters = ListenToMeters(seen);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var json = OdibiJson(
            $$"""
            "good": {{KeyVaultConnection("good001", vaultName, "good-key")}},
            "bad": {{KeyVaultConnection("bad001", vaultName, "bad-key")}},
            "dev": { "Account": "dev001", "Container": "data", "AuthMode": "DirectKey", "AccountKey": "{{InlineKey}}" }
            """,
            prefetch: "\"Policy\": \"Degrade\"",
            refresh: "\"Interval\": \"00:10:00\"");
        using var host = Build(json, _server, b => b.Services.AddSingleton<TimeProvider>(time), output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        var good = connections["good"];
        var failedCall = await Assert.ThrowsAnyAsync<Exception>(() => connections["bad"].GetStorageKeyAsync().AsTask());

        vault.SetSecret("good-key", RotatedSecret);
        await AdvanceUntil(time, async () => await good.GetStorageKeyAsync() == RotatedSecret);
        vault.InjectFault("good-key", LocalKeyVaultFault.Status(500).Always());
        await AdvanceUntil(time, () => Task.FromResult(good.Status == ConnectionStatus.Degraded));
        await host.StopAsync();

        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(logs, r => r.Category == "Azure.Core"); // the SDK's own logs are forwarded, and scanned too
        foreach (var record in logs)
        {
            seen.Add(record.Message);
            seen.Add(record.Exception?.ToString() ?? "");
            foreach (var (key, value) in record.StructuredState ?? [])
            {
                seen.Add($"{key}={value}");
            }
        }

        var report = connections.LastPrefetch!;
        seen.Add(report.ToString());
        seen.Add(failedCall.ToString());
        foreach (var result in report.Results)
        {
            seen.Add(result.ToString());
            seen.Add(result.Error?.ToString() ?? "");
        }

        foreach (var connection in connections)
        {
            seen.Add(connection.ToString());
        }

        Assert.Contains(seen, s => s.Contains("'bad'", StringComparison.Ordinal)); // the scan saw the failure
        Assert.Contains(seen, s => s.StartsWith("odibi.connection=good", StringComparison.Ordinal)); // and the metrics
        Assert.All(seen, s =>
        {
            Assert.DoesNotContain("TEAK", s, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Prefetch_RecordsDurationsInSecondsWithConnectionVaultAndErrorType()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("good-key", Secret);
        using var host = Build(
            OdibiJson($"\"good\": {KeyVaultConnection("good001", vaultName, "good-key")}, \"bad\": {KeyVaultConnection("bad001", vaultName, "missing")}",
                prefetch: "\"Policy\": \"Degrade\""),
            _server, output: output);
        var meterFactory = host.Services.GetRequiredService<IMeterFactory>();
        using var fetches = new MetricCollector<double>(meterFactory, "Odibi.Extensions", "odibi.secret.fetch.duration");
        using var prefetches = new MetricCollector<double>(meterFactory, "Odibi.Extensions", "odibi.prefetch.duration");

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal("s", fetches.Instrument!.Unit);
        var measurements = fetches.GetMeasurementSnapshot();
        var good = Assert.Single(measurements, m => Equals(m.Tags["odibi.connection"], "good"));
        Assert.Equal($"{vaultName}.vault.azure.net", good.Tags["odibi.vault"]);
        Assert.False(good.Tags.ContainsKey("error.type"));
        Assert.InRange(good.Value, 0, 60);
        var bad = Assert.Single(measurements, m => Equals(m.Tags["odibi.connection"], "bad"));
        Assert.Equal("Azure.RequestFailedException", bad.Tags["error.type"]);
        Assert.Single(prefetches.GetMeasurementSnapshot());
    }

    private static async Task AdvanceUntil(FakeTimeProvider time, Func<Task<bool>> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(20, patience.Token);
        }
    }

    private static ActivityListener ListenToActivities(ConcurrentBag<string> seen)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                seen.Add(activity.DisplayName);
                foreach (var (key, value) in activity.TagObjects)
                {
                    seen.Add($"{key}={value}");
                }

                foreach (var activityEvent in activity.Events)
                {
                    seen.Add(activityEvent.Name);
                    foreach (var (key, value) in activityEvent.Tags)
                    {
                        seen.Add($"{key}={value}");
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static MeterListener ListenToMeters(ConcurrentBag<string> seen)
    {
        var listener = new MeterListener { InstrumentPublished = (instrument, l) => l.EnableMeasurementEvents(instrument) };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var (key, value) in tags)
            {
                seen.Add($"{key}={value}");
            }
        });
        listener.Start();
        return listener;
    }
}
