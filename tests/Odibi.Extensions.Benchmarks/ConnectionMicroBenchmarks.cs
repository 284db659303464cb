using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>CPU-bound paths a running app hits on every use of a connection (BenchmarkDotNet, <c>--micro</c>).</summary>
[MemoryDiagnoser]
public class ConnectionMicroBenchmarks
{
    private LocalKeyVault? _server;
    private ServiceProvider? _provider;
    private IAdlsConnections? _connections;
    private AdlsConnection? _bronze;

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalKeyVault.StartAsync().GetAwaiter().GetResult();
        _server.Vault("micro-kv").SetSecret("bronze-key", Convert.ToBase64String(new byte[64]));
        var services = new ServiceCollection();
        services.AddOdibiConnections(options =>
            {
                options.Connections["bronze"] = new AdlsConnectionOptions
                {
                    Account = "dlsbronzeprod001",
                    Container = "bronze",
                    PathPrefix = "raw/ingestion",
                    AuthMode = AdlsAuthMode.KeyVault,
                    KeyVaultName = "micro-kv",
                    SecretName = "bronze-key",
                };
            })
            .UseLocalKeyVault(_server);
        _provider = services.BuildServiceProvider();
        _connections = _provider.GetRequiredService<IAdlsConnections>();
        _connections.PrefetchAsync().GetAwaiter().GetResult();
        _bronze = _connections["bronze"];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _provider?.Dispose();
        _server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public string GetUri() => _bronze!.GetUri("2024/01/orders.parquet");

    [Benchmark]
    public AdlsConnection LookUpByName() => _connections!["bronze"];

    [Benchmark]
    public ValueTask<string> GetStorageKeyAsync_Cached() => _bronze!.GetStorageKeyAsync();

    [Benchmark]
    public ValueTask<IReadOnlyDictionary<string, string>> GetSparkConfigurationAsync_Cached() => _bronze!.GetSparkConfigurationAsync();
}
