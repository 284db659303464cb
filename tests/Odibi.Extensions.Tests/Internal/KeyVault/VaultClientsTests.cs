using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

public sealed class VaultClientsTests(ITestOutputHelper output)
{
    private const string Connection = """{ "Account": "acct001", "Container": "data", "AuthMode": "KeyVault", "KeyVaultName": "kv1", "SecretName": "k" }""";

    [Fact]
    public void Credential_FromOdibiCredentialSection_BuiltByAzureComponentFactory()
    {
        var configuration = TestConfiguration.FromJson($$"""
            { "Odibi": {
                "Credential": { "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                                "clientId": "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", "clientSecret": "not-a-real-secret" },
                "Connections": { "c": {{Connection}} } } }
            """);
        var services = new ServiceCollection();
        services.AddOdibiConnections(configuration);

        var credential = services.BuildServiceProvider().GetRequiredService<VaultClients>().Credential;

        Assert.IsType<ClientSecretCredential>(credential.Inner);
    }

    [Fact]
    public void Credential_NoSectionNoOverride_OneDefaultAzureCredential()
    {
        var services = new ServiceCollection();
        services.AddOdibiConnections(TestConfiguration.OneConnection(Connection));
        var clients = services.BuildServiceProvider().GetRequiredService<VaultClients>();

        Assert.IsType<DefaultAzureCredential>(clients.Credential.Inner);
        Assert.Same(clients.Credential, clients.Credential);
    }

    [Fact]
    public void Get_SameVaultTwice_OneClientConfiguredOnce()
    {
        var configured = 0;
        var services = new ServiceCollection();
        services.AddOdibiConnections(TestConfiguration.OneConnection(Connection))
            .UseCredential(new CountingTokenCredential())
            .ConfigureSecretClient(_ => Interlocked.Increment(ref configured));
        var clients = services.BuildServiceProvider().GetRequiredService<VaultClients>();

        var first = clients.Get(new Uri("https://kv1.vault.azure.net/"));
        var second = clients.Get(new Uri("https://kv1.vault.azure.net/"));
        var other = clients.Get(new Uri("https://kv2.vault.azure.net/"));

        Assert.Same(first, second);
        Assert.NotSame(first, other);
        Assert.Equal(2, configured);
    }

    [Fact]
    public async Task Prefetch_VaultThrottles_BacksOffAndFetchesEverySecret()
    {
        TestThreadPool();
        await using var server = await StartVaultAsync();
        server.Latency = TimeSpan.FromMilliseconds(20);
        var vaultName = UniqueVaultName();
        server.Vault(vaultName).RateLimit = new LocalKeyVaultRateLimit(40, TimeSpan.FromSeconds(1)) { SendRetryAfter = true };
        var connections = string.Join(",", Enumerable.Range(0, 100).Select(i =>
        {
            server.Vault(vaultName).SetSecret($"k{i}", $"v{i}");
            return $"\"c{i}\": {KeyVaultConnection($"acct{i:D3}", vaultName, $"k{i}")}";
        }));
        using var host = Build(OdibiJson(connections, prefetch: "\"Policy\": \"Degrade\", \"MaxConcurrency\": 64"), server, output: output);

        await host.StartAsync();
        var report = host.Services.GetRequiredService<IAdlsConnections>().LastPrefetch!;
        var client = host.Services.GetRequiredService<VaultClients>().Get(new Uri($"https://{vaultName}.vault.azure.net/"));
        await host.StopAsync();

        Assert.True(report.AllSucceeded, string.Join("; ", report.Results.Where(r => !r.Success).Select(r => r.Error?.Message)));
        Assert.Contains(server.Requests, r => r.VaultName == vaultName && r.StatusCode == 429); // it was throttled
        Assert.True(client.Gate.Limit < 64, $"limit {client.Gate.Limit} after 429s");
    }

    [Fact]
    public async Task Prefetch_MaxConcurrency_CapsRequestsInFlightPerVault()
    {
        TestThreadPool();
        await using var server = await StartVaultAsync();
        server.Latency = TimeSpan.FromMilliseconds(100);
        var vaultName = UniqueVaultName();
        var inFlight = new InFlightCounter();
        var connections = string.Join(",", Enumerable.Range(0, 8).Select(i =>
        {
            server.Vault(vaultName).SetSecret($"k{i}", $"v{i}");
            return $"\"c{i}\": {KeyVaultConnection($"acct{i:D3}", vaultName, $"k{i}")}";
        }));
        using var host = Build(OdibiJson(connections, prefetch: "\"MaxConcurrency\": 2"), server, b =>
            b.Services.AddOdibiConnections().ConfigureSecretClient(o => o.AddPolicy(inFlight, HttpPipelinePosition.BeforeTransport)), output: output);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(8, server.Vault(vaultName).SecretRequestCount);
        Assert.Equal(2, inFlight.Max); // requests on the wire: the cap was reached, and never passed
    }

    private static void TestThreadPool() => Odibi.Extensions.Tests.Testing.TestThreadPool.EnsureMinThreads();

    private sealed class InFlightCounter : HttpPipelinePolicy
    {
        private int _current;
        private int _max;

        public int Max => Volatile.Read(ref _max);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            var now = Interlocked.Increment(ref _current);
            int seen;
            while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }

            try
            {
                await ProcessNextAsync(message, pipeline);
            }
            finally
            {
                Interlocked.Decrement(ref _current);
            }
        }
    }
}
