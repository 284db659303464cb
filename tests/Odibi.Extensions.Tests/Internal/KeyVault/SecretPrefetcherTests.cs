using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Tests.Infrastructure;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

public sealed class SecretPrefetcherTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHMtb25seQ==";

    private LocalKeyVault _server = null!;

    public async Task InitializeAsync() => _server = await StartVaultAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PrefetchAsync_FourConnectionsThreeSecretsTwoVaults_OneTokenAndOneGetPerSecret()
    {
        string vaultA = UniqueVaultName("a"), vaultB = UniqueVaultName("b");
        _server.Vault(vaultA).SetSecret("bronze-key", "bronze-value");
        _server.Vault(vaultA).SetSecret("silver-key", "silver-value");
        _server.Vault(vaultB).SetSecret("gold-key", "gold-value");
        var json = OdibiJson($"""
            "bronze": {KeyVaultConnection("bronze001", vaultA, "bronze-key")},
            "silver": {KeyVaultConnection("silver001", vaultA, "silver-key")},
            "shared": {KeyVaultConnection("shared001", vaultA, "bronze-key")},
            "gold": {KeyVaultConnection("gold001", vaultB, "gold-key")}
            """);
        using var host = Build(json, _server, output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        var report = connections.LastPrefetch;
        await host.StopAsync();

        Assert.NotNull(report);
        Assert.Equal(["bronze", "gold", "shared", "silver"], report.Results.Select(r => r.ConnectionName));
        Assert.True(report.AllSucceeded);
        Assert.Equal(4, report.Succeeded);
        Assert.Equal(1, _server.Credential.Count);
        Assert.Equal(2, _server.Vault(vaultA).SecretRequestCount);
        Assert.Equal(0, _server.Vault(vaultA).ChallengeCount); // under vault.azure.net: the token goes with the first request
        Assert.Equal(1, _server.Vault(vaultB).SecretRequestCount);
        Assert.Equal(0, _server.Vault(vaultB).ChallengeCount);
        Assert.Equal("bronze-value", await connections["shared"].GetStorageKeyAsync());
        Assert.Equal("silver-value", await connections["silver"].GetStorageKeyAsync());
        Assert.Equal("gold-value", await connections["gold"].GetStorageKeyAsync());
        Assert.Equal(3, _server.Vault(vaultA).SecretRequestCount + _server.Vault(vaultB).SecretRequestCount);
        Assert.All(connections, c => Assert.Equal(ConnectionStatus.Ready, c.Status));
    }

    [Fact]
    public async Task PrefetchAsync_ManySecretsInOneVault_OneRequestEachAndNoChallenge()
    {
        var vaultName = UniqueVaultName();
        var connections = string.Join(",", Enumerable.Range(0, 16).Select(i =>
        {
            _server.Vault(vaultName).SetSecret($"key-{i}", $"value-{i}");
            return $"\"c{i}\": {KeyVaultConnection($"account{i:D3}", vaultName, $"key-{i}")}";
        }));
        _server.Latency = TimeSpan.FromMilliseconds(20);
        using var host = Build(OdibiJson(connections), _server, output: output);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(16, _server.Vault(vaultName).SecretRequestCount);
        Assert.Equal(0, _server.Vault(vaultName).ChallengeCount);
        Assert.Equal(1, _server.Credential.Count);
    }

    [Fact]
    public async Task PrefetchAsync_ManySecretsInAChallengedVault_RestReleasedWhenFirstSendsItsToken()
    {
        // A vault host outside Key Vault's suffixes is challenged first. Released too early, the rest are challenged too
        // (2N requests); released only once the first is answered, startup takes T + 3L. Released when the first request
        // goes out with its token: N + 1 requests, T + 2L.
        var latency = TimeSpan.FromMilliseconds(500);
        var vaultName = UniqueVaultName();
        var connections = string.Join(",", Enumerable.Range(0, 8).Select(i =>
        {
            _server.Vault(vaultName).SetSecret($"key-{i}", $"value-{i}");
            return $"\"c{i}\": {KeyVaultConnection($"account{i:D3}", PrivateVaultUri(vaultName), $"key-{i}")}";
        }));
        _server.Vault(vaultName).Latency = latency;
        _server.Credential.TokenLatency = TimeSpan.FromMilliseconds(300);
        using var host = Build(OdibiJson(connections), _server, output: output);

        await host.StartAsync();
        await host.StopAsync();

        Assert.True(host.Services.GetRequiredService<IAdlsConnections>().LastPrefetch!.AllSucceeded);
        Assert.Equal(1, _server.Vault(vaultName).ChallengeCount);
        Assert.Equal(8, _server.Vault(vaultName).SecretRequestCount);
        var withToken = _server.Requests.Where(r => r.VaultName == vaultName && r.HasToken).OrderBy(r => r.Timestamp).ToList();
        var firstAnswered = withToken[0].Timestamp + latency;
        Assert.All(withToken, r => Assert.True(r.Timestamp < firstAnswered,
            $"request for {r.SecretName} arrived {(r.Timestamp - withToken[0].Timestamp).TotalMilliseconds} ms after the first with a token, which was answered after {latency.TotalMilliseconds} ms"));
    }

    [Fact]
    public async Task PrefetchAsync_CalledAgain_ServesCachedSecretsWithoutRequests()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        using var host = Build(OdibiJson($"\"c\": {KeyVaultConnection("acct001", vaultName, "k")}"), _server, output: output);
        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();

        var again = await connections.PrefetchAsync();
        await host.StopAsync();

        Assert.True(again.AllSucceeded);
        Assert.Same(again, connections.LastPrefetch);
        Assert.Equal(1, _server.Vault(vaultName).SecretRequestCount);
    }

    public static TheoryData<string, string> Faults() => new()
    {
        { "404", "404 SecretNotFound" },
        { "403", "403" },
        { "disabled", "enable the secret" },
        { "credential", "AuthenticationFailedException" },
        { "hang", "within 00:00:00.5000000" },
        { "drop", "Fix:" },
        { "refused", "Fix: check the vault name" },
        { "malformed", "Fix:" },
        { "empty", "is empty: an empty value is not a key" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task StartAsync_FaultUnderDegrade_StartsWithConnectionFailedAndClearError(string fault, string expected)
    {
        var vaultName = UniqueVaultName();
        var vault = _server.Vault(vaultName);
        vault.SetSecret("good-key", Secret);
        vault.SetSecret("bad-key", fault == "empty" ? "" : Secret);
        switch (fault)
        {
            case "404": vault.DeleteSecret("bad-key"); break;
            case "403": vault.InjectFault("bad-key", LocalKeyVaultFault.Status(403).Always()); break;
            case "disabled": vault.DisableSecret("bad-key"); break;
            case "credential": _server.Credential.FailWith(new AuthenticationFailedException("No managed identity endpoint found.")); break;
            case "hang": vault.InjectFault("bad-key", LocalKeyVaultFault.Hang().Always()); break;
            case "drop": vault.InjectFault("bad-key", LocalKeyVaultFault.DropConnection().Always()); break;
            case "malformed": vault.InjectFault("bad-key", LocalKeyVaultFault.MalformedBody().Always()); break;
        }

        var target = fault == "refused" ? await StartVaultAsync() : _server;
        var json = OdibiJson(
            $"\"good\": {KeyVaultConnection("good001", vaultName, "good-key")}, \"bad\": {KeyVaultConnection("bad001", vaultName, "bad-key")}",
            prefetch: "\"Policy\": \"Degrade\", \"FetchTimeout\": \"00:00:00.5\"");
        using var host = Build(json, target, output: output);
        if (fault == "refused")
        {
            // Create the vault's client while the server runs, then close the server's port: the connection is refused.
            host.Services.GetRequiredService<VaultClients>().Get(new Uri($"https://{vaultName}.vault.azure.net/"));
            await target.DisposeAsync();
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        var report = connections.LastPrefetch!;
        await host.StopAsync();

        var bad = Assert.Single(report.Results, r => r.ConnectionName == "bad");
        Assert.False(bad.Success);
        Assert.Equal(ConnectionStatus.Failed, connections["bad"].Status);
        var message = bad.Error!.Message;
        Assert.Contains("Connection 'bad' (account bad001)", message, StringComparison.Ordinal);
        Assert.Contains($"secret 'bad-key' from https://{vaultName}.vault.azure.net/", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, bad.ToString(), StringComparison.Ordinal);
        if (fault == "hang")
        {
            Assert.IsType<TimeoutException>(bad.Error);
            Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(450), $"gave up after {started.Elapsed}, before the 0.5 s FetchTimeout");
        }

        if (fault is not ("credential" or "refused"))
        {
            Assert.True(connections["good"].Status == ConnectionStatus.Ready, report.Results.Single(r => r.ConnectionName == "good").Error?.Message);
        }
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task StartAsync_TransientFaultsThenSuccess_RetriesAndSucceeds(int status)
    {
        var vaultName = UniqueVaultName();
        var vault = _server.Vault(vaultName);
        vault.SetSecret("k", Secret);
        var fault = LocalKeyVaultFault.Status(status).Times(2);
        vault.InjectFault("k", status == 429 ? fault.WithRetryAfter(TimeSpan.FromSeconds(1)) : fault);
        using var host = Build(OdibiJson($"\"c\": {KeyVaultConnection("acct001", vaultName, "k")}"), _server, output: output);

        await host.StartAsync();
        var connection = host.Services.GetRequiredService<IAdlsConnections>()["c"];
        await host.StopAsync();

        Assert.Equal(ConnectionStatus.Ready, connection.Status);
        Assert.Equal(Secret, await connection.GetStorageKeyAsync());
        Assert.Equal(2, _server.Requests.Count(r => r.VaultName == vaultName && r.StatusCode == status));
        Assert.Equal(3, vault.SecretRequestCount);
    }

    [Fact]
    public async Task StartAsync_PrefetchOutlivesStartupTimeout_HungConnectionFailsWithTimeout()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k1", Secret);
        _server.Vault(vaultName).SetSecret("k2", Secret);
        _server.Vault(vaultName).InjectFault("k2", LocalKeyVaultFault.Hang().Always());
        using var host = Build(OdibiJson(
            $"\"fast\": {KeyVaultConnection("fast001", vaultName, "k1")}, \"hung\": {KeyVaultConnection("hung001", vaultName, "k2")}",
            prefetch: "\"Policy\": \"Degrade\", \"FetchTimeout\": \"00:05:00\", \"StartupTimeout\": \"00:00:00.5\""), _server, output: output);

        await host.StartAsync();
        var report = host.Services.GetRequiredService<IAdlsConnections>().LastPrefetch!;
        await host.StopAsync();

        Assert.True(report.Elapsed >= TimeSpan.FromMilliseconds(450));
        var hung = Assert.Single(report.Results, r => !r.Success);
        Assert.Equal("hung", hung.ConnectionName);
        var error = Assert.IsType<TimeoutException>(hung.Error);
        Assert.Contains("did not finish within 00:00:00.5000000 (Odibi:Prefetch:StartupTimeout)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Connection 'hung'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_IdentityConnections_AcquireOneStorageTokenEach()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("spn-secret", "client-secret-from-vault");
        var identities = new RecordingIdentities();
        var json = OdibiJson($$"""
            "mi": { "Account": "mistore", "Container": "lake", "AuthMode": "ManagedIdentity" },
            "spn": { "Account": "spnstore", "Container": "lake", "AuthMode": "ServicePrincipal", "TenantId": "contoso.onmicrosoft.com",
                     "ClientId": "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", "KeyVaultName": "{{vaultName}}", "SecretName": "spn-secret" }
            """);
        using var host = Build(json, _server, b => b.Services.AddSingleton<StorageCredentialFactory>(identities), output: output);

        await host.StartAsync();
        var connections = host.Services.GetRequiredService<IAdlsConnections>();
        await host.StopAsync();

        Assert.True(connections.LastPrefetch!.AllSucceeded);
        Assert.Equal(["mi", "spn"], connections.LastPrefetch.Results.Select(r => r.ConnectionName));
        Assert.Equal(["mi:", "spn:client-secret-from-vault"], identities.Created.Order(StringComparer.Ordinal));
        Assert.All(identities.Credentials, c => Assert.Equal(1, c.Count));
        Assert.All(identities.Credentials, c => Assert.Equal(["https://storage.azure.com/.default"], c.Requests.Single().Scopes));
        Assert.All(connections, c => Assert.Equal(ConnectionStatus.Ready, c.Status));
    }

    [Fact]
    public async Task StartAsync_BrokenIdentityUnderFailFast_FailsNamingConnection()
    {
        var identities = new RecordingIdentities { Failure = new AuthenticationFailedException("ManagedIdentityCredential authentication unavailable.") };
        var json = OdibiJson("\"mi\": { \"Account\": \"mistore\", \"Container\": \"lake\", \"AuthMode\": \"ManagedIdentity\" }");
        using var host = Build(json, _server, b => b.Services.AddSingleton<StorageCredentialFactory>(identities), output: output);

        var exception = await Assert.ThrowsAsync<OdibiPrefetchException>(() => host.StartAsync());

        Assert.Contains("Connection 'mi' (account mistore) could not get a storage token for its ManagedIdentity identity: AuthenticationFailedException", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: check the identity's TenantId, ClientId and secret (Odibi:Connections:mi)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStorageKeyAsync_FailedUnderDegrade_RetriesAndRecovers()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        _server.Vault(vaultName).InjectFault("k", LocalKeyVaultFault.Status(403).Times(1));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = Build(OdibiJson($"\"c\": {KeyVaultConnection("acct001", vaultName, "k")}", prefetch: "\"Policy\": \"Degrade\""), _server,
            b => b.Services.AddSingleton<TimeProvider>(time), output: output);
        await host.StartAsync();
        var connection = host.Services.GetRequiredService<IAdlsConnections>()["c"];
        Assert.Equal(ConnectionStatus.Failed, connection.Status);
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.GetStorageKeyAsync().AsTask()); // within the failure's back-off
        Assert.Equal(1, _server.Vault(vaultName).SecretRequestCount);

        var ready = ConnectionEvents.Reaches(connection, ConnectionStatus.Ready);
        await RetryWaits.StartedAsync(host.Services, 1); // the retry's timer exists: moving the clock fires it
        time.Advance(TimeSpan.FromSeconds(1)); // the failure's back-off ends, and the background retry (within 1 s) is due
        var key = await connection.GetStorageKeyAsync();
        await ready.WaitAsync(TimeSpan.FromSeconds(20)); // the retry, not the read, makes it ready
        await host.StopAsync();

        Assert.Equal(Secret, key);
        Assert.Equal(ConnectionStatus.Ready, connection.Status);
    }

    [Fact]
    public async Task GetStorageKeyAsync_ThousandConcurrentCallersOnColdConnection_OneSecretRequest()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("k", Secret);
        _server.Latency = TimeSpan.FromMilliseconds(50);
        var services = new ServiceCollection();
        services.AddOdibiConnections(o => o.Connections["c"] = new AdlsConnectionOptions
        {
            Account = "acct001", Container = "data", AuthMode = AdlsAuthMode.KeyVault, KeyVaultName = vaultName, SecretName = "k",
        }).UseLocalKeyVault(_server);
        await using var provider = services.BuildServiceProvider();
        var connection = provider.GetRequiredService<IAdlsConnections>()["c"];

        using var start = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, 1000).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await connection.GetStorageKeyAsync();
        })).ToList();
        start.Set();
        var keys = await Task.WhenAll(callers);

        Assert.All(keys, k => Assert.Equal(Secret, k));
        Assert.Equal(1, _server.Vault(vaultName).SecretRequestCount);
        Assert.Equal(1, _server.Credential.Count);
    }

    [Fact]
    public async Task GetStorageKeyAsync_SasFromVault_DropsLeadingQuestionMark()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("sas", "?sv=2022-11-02&sig=abc");
        var services = new ServiceCollection();
        services.AddOdibiConnections(o => o.Connections["partner"] = new AdlsConnectionOptions
        {
            Account = "partnerdata", Container = "inbound", AuthMode = AdlsAuthMode.SasToken, KeyVaultName = vaultName, SecretName = "sas",
        }).UseLocalKeyVault(_server);
        await using var provider = services.BuildServiceProvider();
        var partner = provider.GetRequiredService<IAdlsConnections>()["partner"];

        var settings = await partner.GetSparkConfigurationAsync();

        Assert.Equal("sv=2022-11-02&sig=abc", await partner.GetStorageKeyAsync());
        Assert.Equal("sv=2022-11-02&sig=abc", settings["fs.azure.sas.fixed.token.partnerdata.dfs.core.windows.net"]);
    }

    [Fact]
    public async Task GetSparkConfigurationAsync_ServicePrincipalSecretFromVault_UsesIt()
    {
        var vaultName = UniqueVaultName();
        _server.Vault(vaultName).SetSecret("spn", "client-secret-from-vault");
        var services = new ServiceCollection();
        services.AddOdibiConnections(o => o.Connections["spn"] = new AdlsConnectionOptions
        {
            Account = "spnstore", Container = "lake", AuthMode = AdlsAuthMode.ServicePrincipal, TenantId = "contoso.onmicrosoft.com",
            ClientId = "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", KeyVaultName = vaultName, SecretName = "spn",
        }).UseLocalKeyVault(_server);
        await using var provider = services.BuildServiceProvider();

        var settings = await provider.GetRequiredService<IAdlsConnections>()["spn"].GetSparkConfigurationAsync();

        Assert.Equal("client-secret-from-vault", settings["fs.azure.account.oauth2.client.secret.spnstore.dfs.core.windows.net"]);
    }

    /// <summary>Identity credentials that record what they were built with; no managed identity endpoint or Entra ID exists here.</summary>
    private sealed class RecordingIdentities : StorageCredentialFactory
    {
        public List<string> Created { get; } = [];

        public List<CountingTokenCredential> Credentials { get; } = [];

        public Exception? Failure { get; init; }

        public override Azure.Core.TokenCredential Create(AdlsConnection connection, string? clientSecret)
        {
            var credential = new CountingTokenCredential();
            credential.FailWith(Failure);
            lock (Created)
            {
                Created.Add($"{connection.Name}:{clientSecret}");
                Credentials.Add(credential);
            }

            return credential;
        }
    }
}
