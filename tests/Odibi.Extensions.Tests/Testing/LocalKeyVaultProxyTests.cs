using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Testing;

using static Odibi.Extensions.Tests.Testing.LocalKeyVaultClients;

namespace Odibi.Extensions.Tests.Testing;

/// <summary>
/// <see cref="LocalKeyVaultProxy"/>, the standalone mode: the real <see cref="SecretClient"/> through the proxy with the
/// real vault URL and the challenge's resource verified, the CONNECT rules, the identity endpoint and the admin API.
/// </summary>
public sealed class LocalKeyVaultProxyTests : IAsyncLifetime
{
    private readonly string _vaultName = UniqueVaultName("proxy");
    private LocalKeyVaultProxy _proxy = null!;
    private HttpClient _http = null!;

    public LocalKeyVaultProxyTests()
    {
        TestThreadPool.EnsureMinThreads();
    }

    public async Task InitializeAsync()
    {
        _proxy = await LocalKeyVaultProxy.StartAsync(new LocalKeyVaultProxyOptions { Port = 0, Vaults = { _vaultName } });
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = _proxy.ProxyUri };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task SecretClient_ThroughProxy_ReachesVaultAtItsRealUrlWithResourceVerification()
    {
        var options = FastOptions();
        SecretClient client = _proxy.Server.CreateClient(_vaultName, options);

        KeyVaultSecret set = await client.SetSecretAsync("db-password", "p@ss");
        KeyVaultSecret got = await client.GetSecretAsync("db-password");

        Assert.False(options.DisableChallengeResourceVerification);
        Assert.Equal(new Uri($"https://{_vaultName}.vault.azure.net/"), client.VaultUri);
        Assert.StartsWith($"https://{_vaultName}.vault.azure.net/secrets/db-password/", set.Id.ToString(), StringComparison.Ordinal);
        Assert.Equal("p@ss", got.Value);
        Assert.Equal("p@ss", _proxy.Server.Vault(_vaultName).GetSecretValue("db-password"));
        LocalKeyVaultRequest last = _proxy.Server.Requests[^1];
        Assert.Equal(_vaultName, last.VaultName);
        Assert.Equal($"{_vaultName}.vault.azure.net", last.VaultHost);
        Assert.Equal(["https://vault.azure.net/.default"], _proxy.Server.Credential.Requests[0].Scopes);
    }

    [Fact]
    public async Task SecretClient_ListThroughProxy_FollowsNextLinksToTheSameHost()
    {
        LocalVault vault = _proxy.Server.Vault(_vaultName);
        for (int i = 0; i < 30; i++)
        {
            vault.SetSecret($"s{i:00}", "v");
        }

        SecretClient client = _proxy.Server.CreateClient(_vaultName, FastOptions());
        int pages = 0;
        int items = 0;
        await foreach (Page<SecretProperties> page in client.GetPropertiesOfSecretsAsync().AsPages())
        {
            pages++;
            items += page.Values.Count;
        }

        Assert.Equal(30, items);
        Assert.Equal(2, pages);
        Assert.All(_proxy.Server.Requests, r => Assert.Equal($"{_vaultName}.vault.azure.net", r.VaultHost));
    }

    [Fact]
    public async Task SecretClient_ForSovereignCloudHost_GetsThatCloudsChallengeResource()
    {
        _proxy.Server.Vault(_vaultName).SetSecret("db", "cn");
        var client = new SecretClient(new Uri($"https://{_vaultName}.vault.azure.cn/"), _proxy.Server.Credential, ProxiedOptions());

        KeyVaultSecret secret = await client.GetSecretAsync("db");

        Assert.Equal("cn", secret.Value);
        Assert.StartsWith($"https://{_vaultName}.vault.azure.cn/secrets/db/", secret.Id.ToString(), StringComparison.Ordinal);
        Assert.Equal(["https://vault.azure.cn/.default"], _proxy.Server.Credential.Requests[0].Scopes);
    }

    [Fact]
    public async Task Connect_ToHostedVault_Answers200AndServesTheLocalCaCertificate()
    {
        (string status, _) = await ConnectAsync($"{_vaultName}.vault.azure.net:443");

        Assert.Equal("HTTP/1.1 200 Connection established", status);
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(_proxy.CertificateAuthorityPath);
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
    }

    [Fact]
    public async Task Connect_ToAnotherHost_IsRefusedNamingNoProxy()
    {
        (string status, string body) = await ConnectAsync("example.com:443");

        Assert.Equal("HTTP/1.1 403 Forbidden", status);
        Assert.Contains("NO_PROXY", body, StringComparison.Ordinal);
        Assert.Contains("*.vault.azure.net", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainProxyRequest_ForAnHttpUrl_IsRefusedNamingHttpsProxy()
    {
        (string status, string body) = await SendRawAsync("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");

        Assert.Equal("HTTP/1.1 403 Forbidden", status);
        Assert.Contains("HTTPS_PROXY", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ToVaultHostOnAnotherPort_IsRefused()
    {
        (string status, _) = await ConnectAsync($"{_vaultName}.vault.azure.net:8443");

        Assert.Equal("HTTP/1.1 403 Forbidden", status);
    }

    [Fact]
    public async Task Connect_ToUnknownVault_FailsLikeAnUnknownHostNamingTheVaultFlag()
    {
        (string status, string body) = await ConnectAsync("typo-kv.vault.azure.net:443");

        Assert.Equal("HTTP/1.1 502 Bad Gateway", status);
        Assert.Contains("--vault typo-kv", body, StringComparison.Ordinal);
        Assert.Null(_proxy.Server.FindVault("typo-kv"));
    }

    [Fact]
    public async Task SecretClient_ForUnknownVault_FailsWithoutAnHttpAnswer()
    {
        var typo = new SecretClient(new Uri("https://" + UniqueVaultName("typo") + ".vault.azure.net/"), _proxy.Server.Credential, ProxiedOptions());

        RequestFailedException error = await Assert.ThrowsAsync<RequestFailedException>(() => typo.GetSecretAsync("x"));

        Assert.Equal(0, error.Status);
        Assert.Empty(_proxy.Server.Requests);
    }

    [Fact]
    public async Task IdentityEndpoint_WithHeader_IssuesACountedToken()
    {
        using HttpResponseMessage response = await GetTokenAsync(_proxy.IdentityHeader, "2019-08-01");
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_proxy.Server.Credential.Token, body.RootElement.GetProperty("access_token").GetString());
        Assert.Equal("Bearer", body.RootElement.GetProperty("token_type").GetString());
        Assert.Equal("https://vault.azure.net", body.RootElement.GetProperty("resource").GetString());
        Assert.True(long.Parse(body.RootElement.GetProperty("expires_on").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal(1, _proxy.Server.Credential.Count);
        Assert.Equal(["https://vault.azure.net/.default"], _proxy.Server.Credential.Requests[0].Scopes);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task IdentityEndpoint_WithoutTheRightHeader_Is401NamingIdentityHeader(string? header)
    {
        using HttpResponseMessage response = await GetTokenAsync(header, "2019-08-01");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("IDENTITY_HEADER", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _proxy.Server.Credential.Count);
    }

    [Fact]
    public async Task IdentityEndpoint_WithoutApiVersion_Is400()
    {
        using HttpResponseMessage response = await GetTokenAsync(_proxy.IdentityHeader, apiVersion: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, _proxy.Server.Credential.Count);
    }

    [Fact]
    public async Task IdentityEndpoint_WhenFailedThroughAdmin_Is500AndStillCounts()
    {
        await AdminAsync(HttpMethod.Put, "identity", """{"fail": "tenant is down"}""");

        using HttpResponseMessage response = await GetTokenAsync(_proxy.IdentityHeader, "2019-08-01");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("tenant is down", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, _proxy.Server.Credential.Count);
    }

    [Fact]
    public async Task Admin_SetAndDisableSecret_ChangesTheVault()
    {
        (HttpStatusCode set, JsonElement version) = await AdminAsync(HttpMethod.Put, $"vaults/{_vaultName}/secrets/api-key", """{"value": "k1", "tags": {"env": "dev"}}""");
        (HttpStatusCode disabled, _) = await AdminAsync(HttpMethod.Post, $"vaults/{_vaultName}/secrets/api-key/disable");

        Assert.Equal(HttpStatusCode.OK, set);
        Assert.Equal(HttpStatusCode.OK, disabled);
        Assert.Equal([version.GetProperty("version").GetString()!], _proxy.Server.Vault(_vaultName).GetSecretVersions("api-key"));
        RequestFailedException error = await Assert.ThrowsAsync<RequestFailedException>(() => _proxy.Server.CreateClient(_vaultName, FastOptions()).GetSecretAsync("api-key"));
        Assert.Equal(403, error.Status);
    }

    [Fact]
    public async Task Admin_InjectFault_IsAnsweredToTheNextRequest()
    {
        _proxy.Server.Vault(_vaultName).SetSecret("db", "v");
        (HttpStatusCode status, _) = await AdminAsync(HttpMethod.Post, $"vaults/{_vaultName}/faults", """{"kind": "status", "status": 503, "secret": "db", "count": 1, "retryAfterSeconds": 0}""");
        SecretClient client = _proxy.Server.CreateClient(_vaultName, FastOptions(maxRetries: 0));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("missing")); // the challenge round trip

        RequestFailedException error = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("db"));
        KeyVaultSecret after = await client.GetSecretAsync("db");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(503, error.Status);
        Assert.Equal("v", after.Value);
    }

    [Fact]
    public async Task Admin_RateLimitWithRetryAfter_SetsTheServersLimit()
    {
        (HttpStatusCode set, _) = await AdminAsync(HttpMethod.Put, "rate-limit", """{"permits": 5, "windowSeconds": 2, "retryAfter": true}""");
        LocalKeyVaultRateLimit? limit = _proxy.Server.RateLimit;
        (HttpStatusCode cleared, _) = await AdminAsync(HttpMethod.Delete, "rate-limit");

        Assert.Equal(HttpStatusCode.OK, set);
        Assert.Equal(HttpStatusCode.OK, cleared);
        Assert.NotNull(limit);
        Assert.Equal(5, limit.Permits);
        Assert.Equal(TimeSpan.FromSeconds(2), limit.Window);
        Assert.True(limit.SendRetryAfter);
        Assert.Null(_proxy.Server.RateLimit);
    }

    [Fact]
    public async Task Admin_RequestsAndCounters_ReadAndReset()
    {
        _proxy.Server.Vault(_vaultName).SetSecret("db", "v");
        await _proxy.Server.CreateClient(_vaultName, FastOptions()).GetSecretAsync("db");

        (_, JsonElement requests) = await AdminAsync(HttpMethod.Get, "requests");
        (_, JsonElement counters) = await AdminAsync(HttpMethod.Get, "counters");
        await AdminAsync(HttpMethod.Post, "counters/reset");
        await AdminAsync(HttpMethod.Delete, "requests");
        (_, JsonElement reset) = await AdminAsync(HttpMethod.Get, "counters");

        Assert.Equal([401, 200], requests.GetProperty("requests").EnumerateArray().Select(r => r.GetProperty("status").GetInt32()));
        Assert.Equal(1, counters.GetProperty("challenges").GetInt32());
        Assert.Equal(1, counters.GetProperty("secretRequests").GetInt32());
        Assert.Equal(1, counters.GetProperty("tokens").GetInt32());
        Assert.Equal(0, reset.GetProperty("tokens").GetInt32());
        Assert.Equal(0, reset.GetProperty("secretRequests").GetInt32());
        Assert.Empty(_proxy.Server.Requests);
    }

    [Fact]
    public async Task Admin_UnknownVault_Is404NamingTheVaultFlag()
    {
        (HttpStatusCode status, JsonElement body) = await AdminAsync(HttpMethod.Post, "vaults/nope-kv/faults", """{"kind": "hang"}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("--vault nope-kv", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_CreateVault_MakesItReachable()
    {
        string name = UniqueVaultName("created");
        (string before, _) = await ConnectAsync($"{name}.vault.azure.net:443");

        await AdminAsync(HttpMethod.Put, $"vaults/{name}");
        (string after, _) = await ConnectAsync($"{name}.vault.azure.net:443");

        Assert.Equal("HTTP/1.1 502 Bad Gateway", before);
        Assert.Equal("HTTP/1.1 200 Connection established", after);
    }

    [Fact]
    public async Task PlainRequest_OutsideIdentityAndAdmin_Is404SayingHowToUseTheProxy()
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri("/secrets/x?api-version=7.5", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("HTTPS_PROXY=", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretClient_WithoutApiVersion_Is400BadParameter()
    {
        HttpPipeline pipeline = HttpPipelineBuilder.Build(ProxiedOptions());
        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(new Uri($"https://{_vaultName}.vault.azure.net/secrets/x"));

        await pipeline.SendAsync(message, CancellationToken.None);
        using JsonDocument body = JsonDocument.Parse(message.Response.Content.ToString());

        Assert.Equal(400, message.Response.Status);
        Assert.Equal("BadParameter", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("api-version", body.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EnvironmentVariables_NameTheProxyIdentityAndCa()
    {
        IReadOnlyDictionary<string, string> env = _proxy.EnvironmentVariables;

        Assert.Equal($"http://127.0.0.1:{_proxy.ProxyUri.Port}", env["HTTPS_PROXY"]);
        Assert.Equal("127.0.0.1,localhost", env["NO_PROXY"]);
        Assert.Equal(_proxy.IdentityEndpoint.ToString(), env["IDENTITY_ENDPOINT"]);
        Assert.Equal(_proxy.IdentityHeader, env["IDENTITY_HEADER"]);
        Assert.Equal(_proxy.CertificateAuthorityPath, env["NODE_EXTRA_CA_CERTS"]);
        Assert.Equal(_proxy.CertificateBundlePath, env["REQUESTS_CA_BUNDLE"]);
        Assert.Contains(File.ReadAllText(_proxy.CertificateAuthorityPath).Trim(), File.ReadAllText(_proxy.CertificateBundlePath), StringComparison.Ordinal);
    }

    /// <summary>Options whose transport goes through the proxy and trusts its CA, without retries.</summary>
    private SecretClientOptions ProxiedOptions()
    {
        SecretClientOptions options = FastOptions(maxRetries: 0);
        _proxy.Server.ConfigureClientOptions(options);
        return options;
    }

    [Fact]
    public async Task StartAsync_OnAPortInUse_FailsWithTheBindError()
    {
        IOException error = await Assert.ThrowsAsync<IOException>(() => LocalKeyVaultProxy.StartAsync(new LocalKeyVaultProxyOptions { Port = _proxy.ProxyUri.Port }));

        Assert.Contains(_proxy.ProxyUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WithCertificateDirectory_KeepsTheCaAcrossRuns()
    {
        string directory = Path.Combine(Path.GetTempPath(), "lkv-ca-" + Guid.NewGuid().ToString("N"));
        try
        {
            string first;
            await using (LocalKeyVaultProxy run = await LocalKeyVaultProxy.StartAsync(new LocalKeyVaultProxyOptions { CertificateDirectory = directory }))
            {
                first = await File.ReadAllTextAsync(run.CertificateAuthorityPath);
            }

            await using LocalKeyVaultProxy again = await LocalKeyVaultProxy.StartAsync(new LocalKeyVaultProxyOptions { CertificateDirectory = directory, Vaults = { "again-kv" } });
            SecretClient client = again.Server.CreateClient("again-kv", FastOptions());
            await client.SetSecretAsync("x", "y");

            Assert.Equal(first, await File.ReadAllTextAsync(again.CertificateAuthorityPath));
            Assert.True(Directory.Exists(directory));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, "ca.key.pem")));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_WithSeedFile_HostsItsVaultsAndSecrets()
    {
        string seed = Path.GetTempFileName();
        string vault = UniqueVaultName("seeded");
        await File.WriteAllTextAsync(seed, $$"""
            {
              // comments are allowed
              "vaults": {
                "{{vault}}": {
                  "db-password": "s3cret",
                  "api-key": { "value": "k", "enabled": false, "contentType": "text/plain", "tags": { "env": "dev" } }
                }
              }
            }
            """);
        try
        {
            await using LocalKeyVaultProxy proxy = await LocalKeyVaultProxy.StartAsync(new LocalKeyVaultProxyOptions { SeedFile = seed });
            SecretClient client = proxy.Server.CreateClient(vault, FastOptions());

            KeyVaultSecret password = await client.GetSecretAsync("db-password");
            SecretProperties? apiKey = null;
            await foreach (SecretProperties properties in client.GetPropertiesOfSecretsAsync())
            {
                apiKey = properties.Name == "api-key" ? properties : apiKey;
            }

            Assert.Contains(vault, proxy.VaultNames);
            Assert.Equal("s3cret", password.Value);
            Assert.NotNull(apiKey);
            Assert.False(apiKey.Enabled);
            Assert.Equal("text/plain", apiKey.ContentType);
            Assert.Equal("dev", apiKey.Tags["env"]);
        }
        finally
        {
            File.Delete(seed);
        }
    }

    [Fact]
    public async Task StartAsync_WithBadSeedFile_FailsNamingTheMember()
    {
        string seed = Path.GetTempFileName();
        await File.WriteAllTextAsync(seed, """{"vaults": {"orders-kv": {"db-password": 42}}}""");
        try
        {
            InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => LocalKeyVaultProxy.StartAsync(new LocalKeyVaultProxyOptions { SeedFile = seed }));

            Assert.Contains("vaults.orders-kv.db-password", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(seed);
        }
    }

    private async Task<HttpResponseMessage> GetTokenAsync(string? header, string? apiVersion)
    {
        string query = "?resource=https://vault.azure.net" + (apiVersion is null ? string.Empty : "&api-version=" + apiVersion);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_proxy.IdentityEndpoint + query));
        if (header is not null)
        {
            request.Headers.Add("X-IDENTITY-HEADER", header);
        }

        return await _http.SendAsync(request);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> AdminAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(_proxy.AdminUri, path));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await _http.SendAsync(request);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.Clone());
    }

    /// <summary>Sends a CONNECT by hand and reads the proxy's status line and body.</summary>
    private Task<(string Status, string Body)> ConnectAsync(string target) =>
        SendRawAsync($"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");

    /// <summary>Sends a request head by hand and reads the status line and body (or the status line of an open tunnel).</summary>
    private async Task<(string Status, string Body)> SendRawAsync(string head)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _proxy.ProxyUri.Port);
        NetworkStream stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var received = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
            string text = received.ToString();
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0 && text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
            {
                break; // the tunnel is open: TLS would come next
            }
        }

        string all = received.ToString();
        int headEnd = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (all[..all.IndexOf("\r\n", StringComparison.Ordinal)], headEnd >= 0 ? all[(headEnd + 4)..] : string.Empty);
    }
}
