using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Testing;
using Odibi.Extensions.Testing.Internal;

using static Odibi.Extensions.Tests.Testing.LocalKeyVaultClients;

namespace Odibi.Extensions.Tests.Testing;

/// <summary>
/// The real <see cref="SecretClient"/> against <see cref="LocalKeyVault"/>. Every test uses its own vault names because
/// the SDK caches bearer challenges per vault host for the whole process.
/// </summary>
public sealed class LocalKeyVaultTests : IAsyncLifetime
{
    private const string SecretName = "db-password";

    private LocalKeyVault _server = null!;

    public LocalKeyVaultTests()
    {
        TestThreadPool.EnsureMinThreads();
    }

    public async Task InitializeAsync()
    {
        _server = await LocalKeyVault.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public void StartAsync_Default_ListensOnLoopbackWithHttps()
    {
        Assert.Equal(Uri.UriSchemeHttps, _server.Endpoint.Scheme);
        Assert.Equal("127.0.0.1", _server.Endpoint.Host);
        Assert.True(_server.Endpoint.Port > 0);
        Assert.Equal(LocalKeyVaultOptions.DefaultTenantId, _server.TenantId);
    }

    [Fact]
    public void StartAsync_Default_CertificateIsServerCertificateForLoopback()
    {
        X509Certificate2 certificate = _server.Certificate;

        var names = Assert.Single(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Contains(System.Net.IPAddress.Loopback, names.EnumerateIPAddresses());
        Assert.Contains("localhost", names.EnumerateDnsNames());
        var subjectKey = Assert.Single(certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        var authorityKey = Assert.Single(certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
        Assert.Equal(subjectKey.SubjectKeyIdentifierBytes.ToArray(), authorityKey.KeyIdentifier!.Value.ToArray());
        Assert.False(Assert.Single(certificate.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        var usages = Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages;
        Assert.Equal("1.3.6.1.5.5.7.3.1", Assert.Single(usages.Cast<System.Security.Cryptography.Oid>()).Value);
        Assert.True(certificate.HasPrivateKey);
    }

    [Fact]
    public async Task GetSecretAsync_ByName_ReturnsLatestVersionWithRealVaultId()
    {
        string vaultName = UniqueVaultName("get");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "first");
        string latest = vault.SetSecret(SecretName, "second", contentType: "text/plain");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);

        Assert.Equal("second", secret.Value);
        Assert.Matches("^[0-9a-f]{32}$", latest);
        Assert.Equal(latest, secret.Properties.Version);
        Assert.Equal(new Uri($"https://{vaultName}.vault.azure.net/secrets/{SecretName}/{latest}"), secret.Id);
        Assert.Equal(new Uri($"https://{vaultName}.vault.azure.net"), secret.Properties.VaultUri);
        Assert.Equal("text/plain", secret.Properties.ContentType);
        Assert.True(secret.Properties.Enabled);
        Assert.Equal("Recoverable+Purgeable", secret.Properties.RecoveryLevel);
        Assert.NotNull(secret.Properties.CreatedOn);
    }

    [Fact]
    public async Task GetSecretAsync_ByVersion_ReturnsThatVersion()
    {
        string vaultName = UniqueVaultName("version");
        LocalVault vault = _server.Vault(vaultName);
        string first = vault.SetSecret(SecretName, "first");
        vault.SetSecret(SecretName, "second");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        KeyVaultSecret secret = await client.GetSecretAsync(SecretName, first);

        Assert.Equal("first", secret.Value);
        Assert.Equal(first, secret.Properties.Version);
        LocalKeyVaultRequest request = _server.Requests.Last(r => r.HasToken);
        Assert.Equal(first, request.SecretVersion);
        Assert.Equal(200, request.StatusCode);
    }

    [Fact]
    public async Task SetSecretAsync_ThenGetSecretAsync_StoresNewVersionEachTime()
    {
        string vaultName = UniqueVaultName("put");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());
        var expires = new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var secret = new KeyVaultSecret("api-key", "value-1") { Properties = { ContentType = "text/plain", ExpiresOn = expires } };

        KeyVaultSecret first = await client.SetSecretAsync(secret);
        KeyVaultSecret second = await client.SetSecretAsync("api-key", "value-2");
        KeyVaultSecret read = await client.GetSecretAsync("api-key");

        Assert.Matches("^[0-9a-f]{32}$", first.Properties.Version);
        Assert.NotEqual(first.Properties.Version, second.Properties.Version);
        Assert.Equal("value-1", first.Value);
        Assert.Equal("text/plain", first.Properties.ContentType);
        Assert.Equal(expires, first.Properties.ExpiresOn);
        Assert.Equal("value-2", read.Value);
        Assert.Equal(second.Properties.Version, read.Properties.Version);
        LocalVault vault = _server.Vault(vaultName);
        Assert.Equal([first.Properties.Version, second.Properties.Version], vault.GetSecretVersions("api-key"));
        Assert.Equal("value-1", vault.GetSecretValue("api-key", first.Properties.Version));
        Assert.Contains(_server.Requests, r => r.Method == "PUT" && r.HasToken && r.StatusCode == 200);
    }

    [Fact]
    public async Task GetSecretAsync_VaultNeverCreated_FailsAsAnUnknownHostAndCreatesNothing()
    {
        string typo = UniqueVaultName("typo");
        SecretClientOptions options = FastOptions(maxRetries: 0);
        _server.ConfigureClientOptions(options);
        var client = new SecretClient(new Uri($"https://{typo}.vault.azure.net/"), _server.Credential, options);

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));
        var again = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(0, exception.Status); // no answer, as when DNS does not know the host
        var dns = Assert.IsType<HttpRequestException>(exception.InnerException);
        Assert.Equal(HttpRequestError.NameResolutionError, dns.HttpRequestError);
        Assert.Contains($"LocalKeyVault hosts no vault named '{typo}'", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"LocalKeyVault.Vault(\"{typo}\")", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, again.Status); // the first request created no vault
        Assert.DoesNotContain(_server.Requests, r => string.Equals(r.VaultName, typo, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Requests_MoreThanTheLogCapacity_KeepsTheNewest()
    {
        await using LocalKeyVault server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { RequestLogCapacity = 3 });
        string vaultName = UniqueVaultName("ring");
        SecretClient client = server.CreateClient(vaultName, FastOptions());
        for (var i = 1; i <= 5; i++)
        {
            await client.SetSecretAsync($"s{i}", "v");
        }

        Assert.Equal(["s3", "s4", "s5"], server.Requests.Select(r => r.SecretName));
        Assert.Equal(5, server.SecretRequestCount); // the counters count every request
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LocalKeyVault.StartAsync(new LocalKeyVaultOptions { RequestLogCapacity = 0 }));
    }

    [Fact]
    public async Task GetSecretAsync_MissingSecret_Throws404SecretNotFound()
    {
        string vaultName = UniqueVaultName("missing");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("no-such-secret"));

        Assert.Equal(404, exception.Status);
        Assert.Equal("SecretNotFound", exception.ErrorCode);
        Assert.Contains("A secret with (name/id) no-such-secret was not found in this key vault.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSecretAsync_DeletedSecret_Throws404SecretNotFound()
    {
        string vaultName = UniqueVaultName("deleted");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());
        await client.GetSecretAsync(SecretName);

        Assert.True(vault.DeleteSecret(SecretName));
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(404, exception.Status);
        Assert.Equal("SecretNotFound", exception.ErrorCode);
    }

    [Fact]
    public async Task GetSecretAsync_DisabledSecret_Throws403Forbidden()
    {
        string vaultName = UniqueVaultName("disabled");
        LocalVault vault = _server.Vault(vaultName);
        string first = vault.SetSecret(SecretName, "old");
        vault.SetSecret(SecretName, "current");
        vault.DisableSecret(SecretName);
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));
        KeyVaultSecret older = await client.GetSecretAsync(SecretName, first);

        Assert.Equal(403, exception.Status);
        Assert.Equal("Forbidden", exception.ErrorCode);
        Assert.Contains("Operation get is not allowed on a disabled secret.", exception.Message, StringComparison.Ordinal);
        Assert.Equal("old", older.Value);
    }

    [Fact]
    public async Task GetSecretAsync_DisabledFault_Throws403Forbidden()
    {
        string vaultName = UniqueVaultName("disabled-fault");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(SecretName, LocalKeyVaultFault.Disabled());
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(403, exception.Status);
        Assert.Equal("Forbidden", exception.ErrorCode);
        Assert.Equal(LocalKeyVaultFaultKind.Disabled, _server.Requests.Last().Fault?.Kind);
    }

    [Fact]
    public async Task GetSecretAsync_ColdClient_IsChallengedThenSendsBearerToken()
    {
        string vaultName = UniqueVaultName("challenge");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        await client.GetSecretAsync(SecretName);

        LocalKeyVaultRequest[] requests = [.. _server.Requests.Where(r => r.VaultName == vaultName)];
        Assert.Equal(2, requests.Length);
        Assert.False(requests[0].HasToken);
        Assert.Equal(401, requests[0].StatusCode);
        Assert.True(requests[1].HasToken);
        Assert.Equal(200, requests[1].StatusCode);
        Assert.Equal(1, vault.ChallengeCount);
        Assert.Equal(1, vault.SecretRequestCount);
        Assert.Equal(1, _server.ChallengeCount);
        Assert.Equal(1, _server.SecretRequestCount);
        TokenRequestContext context = Assert.Single(_server.Credential.Requests);
        Assert.Equal(["https://vault.azure.net/.default"], context.Scopes);
        Assert.Equal(_server.TenantId, context.TenantId);
    }

    [Fact]
    public async Task GetSecretAsync_NewClients_ShareChallengeCachedForRealVaultHost()
    {
        // The SDK caches challenges per request host for the whole process. A new client for a vault that was
        // already challenged must send its token straight away; another vault host must still be challenged.
        string firstName = UniqueVaultName("host-a");
        string secondName = UniqueVaultName("host-b");
        _server.Vault(firstName).SetSecret(SecretName, "a");
        _server.Vault(secondName).SetSecret(SecretName, "b");

        await _server.CreateClient(firstName, FastOptions()).GetSecretAsync(SecretName);
        await _server.CreateClient(firstName, FastOptions()).GetSecretAsync(SecretName);
        await _server.CreateClient(secondName, FastOptions()).GetSecretAsync(SecretName);

        Assert.Equal(1, _server.Vault(firstName).ChallengeCount);
        Assert.Equal(2, _server.Vault(firstName).SecretRequestCount);
        Assert.Equal(1, _server.Vault(secondName).ChallengeCount);
        Assert.Equal(1, _server.Vault(secondName).SecretRequestCount);
    }

    [Fact]
    public async Task StartAsync_CustomTenant_ChallengeNamesThatTenant()
    {
        const string tenant = "3c1a0c55-1d5e-4a4e-9a4c-6d2f0b7e9a10";
        await using LocalKeyVault server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { TenantId = tenant });
        string vaultName = UniqueVaultName("tenant");
        server.Vault(vaultName).SetSecret(SecretName, "value");

        await server.CreateClient(vaultName, FastOptions()).GetSecretAsync(SecretName);

        Assert.Equal(tenant, Assert.Single(server.Credential.Requests).TenantId);
    }

    [Fact]
    public async Task GetSecretAsync_WarmClient_SendsTokenWithoutChallenge()
    {
        string vaultName = UniqueVaultName("warm");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());
        await client.GetSecretAsync(SecretName);

        await client.GetSecretAsync(SecretName);
        await client.GetSecretAsync(SecretName);

        Assert.Equal(1, vault.ChallengeCount);
        Assert.Equal(3, vault.SecretRequestCount);
        Assert.Equal(1, _server.Credential.Count);
    }

    [Fact]
    public async Task GetSecretAsync_ThrottledOnceWithRetryAfter_RetriesAfterRetryAfter()
    {
        string vaultName = UniqueVaultName("throttled");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(SecretName, LocalKeyVaultFault.Status(429).Once().WithRetryAfter(TimeSpan.FromSeconds(1)));
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        var stopwatch = Stopwatch.StartNew();
        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);
        stopwatch.Stop();

        Assert.Equal("value", secret.Value);
        LocalKeyVaultRequest[] withToken = TokenRequests(vaultName);
        Assert.Equal([429, 200], withToken.Select(r => r.StatusCode));
        Assert.Equal(429, withToken[0].Fault?.StatusCode);
        Assert.Null(withToken[1].Fault);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(950), $"Retried after {stopwatch.Elapsed}, before Retry-After.");
    }

    [Fact]
    public async Task GetSecretAsync_ServiceUnavailableTwice_RetriesAndSucceeds()
    {
        string vaultName = UniqueVaultName("unavailable");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(SecretName, LocalKeyVaultFault.Status(503).Times(2));
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);

        Assert.Equal("value", secret.Value);
        Assert.Equal([503, 503, 200], TokenRequests(vaultName).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task GetSecretAsync_ServiceUnavailableAlways_ThrowsAfterRetries()
    {
        string vaultName = UniqueVaultName("down");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(LocalKeyVaultFault.Status(503));
        SecretClient client = _server.CreateClient(vaultName, FastOptions(maxRetries: 2));

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(503, exception.Status);
        Assert.Equal("ServiceUnavailable", exception.ErrorCode);
        Assert.Equal(3, TokenRequests(vaultName).Length);

        vault.ClearFaults();
        Assert.Equal("value", (await client.GetSecretAsync(SecretName)).Value.Value);
    }

    [Fact]
    public async Task GetSecretAsync_Hang_ClientNetworkTimeoutEndsRequest()
    {
        string vaultName = UniqueVaultName("hang");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(SecretName, LocalKeyVaultFault.Hang());
        SecretClientOptions options = FastOptions(maxRetries: 0);
        options.Retry.NetworkTimeout = TimeSpan.FromMilliseconds(300);
        SecretClient client = _server.CreateClient(vaultName, options);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetSecretAsync(SecretName));

        LocalKeyVaultRequest hung = Assert.Single(TokenRequests(vaultName));
        Assert.Equal(LocalKeyVaultFaultKind.Hang, hung.Fault?.Kind);
        Assert.Null(hung.StatusCode);
    }

    [Fact]
    public async Task GetSecretAsync_DroppedConnection_FailsInsteadOfHanging()
    {
        string vaultName = UniqueVaultName("drop");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(SecretName, LocalKeyVaultFault.DropConnection());
        SecretClient client = _server.CreateClient(vaultName, FastOptions(maxRetries: 1));

        // After the retry, Azure.Core reports every failed try together.
        var exception = await Assert.ThrowsAsync<AggregateException>(
            () => client.GetSecretAsync(SecretName).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(2, exception.InnerExceptions.Count);
        Assert.All(exception.InnerExceptions, e => Assert.Equal(0, Assert.IsType<RequestFailedException>(e).Status));
        LocalKeyVaultRequest[] dropped = TokenRequests(vaultName);
        Assert.Equal(2, dropped.Length);
        Assert.All(dropped, r => Assert.Equal(LocalKeyVaultFaultKind.DropConnection, r.Fault?.Kind));
        Assert.All(dropped, r => Assert.Null(r.StatusCode));
    }

    [Fact]
    public async Task GetSecretAsync_MalformedBody_Throws()
    {
        string vaultName = UniqueVaultName("malformed");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(SecretName, LocalKeyVaultFault.MalformedBody().Once());
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(200, TokenRequests(vaultName).Single().StatusCode);
        Assert.Equal("value", (await client.GetSecretAsync(SecretName)).Value.Value);
    }

    [Fact]
    public async Task GetSecretAsync_WithLatency_TakesAtLeastLatency()
    {
        string vaultName = UniqueVaultName("latency");
        _server.Vault(vaultName).SetSecret(SecretName, "value");
        SecretClient client = _server.CreateClient(vaultName, FastOptions());
        await client.GetSecretAsync(SecretName);
        _server.Latency = TimeSpan.FromMilliseconds(300);

        var stopwatch = Stopwatch.StartNew();
        await client.GetSecretAsync(SecretName);
        stopwatch.Stop();

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(290), $"Answered after {stopwatch.Elapsed}.");
    }

    [Fact]
    public async Task GetSecretAsync_VaultLatency_AppliesOnlyToThatVault()
    {
        string slowName = UniqueVaultName("slow");
        string fastName = UniqueVaultName("fast");
        _server.Vault(slowName).SetSecret(SecretName, "slow");
        _server.Vault(fastName).SetSecret(SecretName, "fast");
        SecretClient slow = _server.CreateClient(slowName, FastOptions());
        SecretClient fast = _server.CreateClient(fastName, FastOptions());
        await slow.GetSecretAsync(SecretName);
        await fast.GetSecretAsync(SecretName);
        _server.Vault(slowName).Latency = TimeSpan.FromSeconds(1);

        var stopwatch = Stopwatch.StartNew();
        Task<Response<KeyVaultSecret>> slowRead = slow.GetSecretAsync(SecretName);
        KeyVaultSecret fastSecret = await fast.GetSecretAsync(SecretName);
        bool slowDoneBeforeFast = slowRead.IsCompleted;
        KeyVaultSecret slowSecret = await slowRead;
        stopwatch.Stop();

        Assert.Equal("fast", fastSecret.Value);
        Assert.Equal("slow", slowSecret.Value);
        Assert.False(slowDoneBeforeFast, "The slow vault answered before the fast one.");
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(990), $"The slow vault answered after {stopwatch.Elapsed}.");
    }

    [Fact]
    public async Task GetSecretAsync_TwoVaults_KeepSeparateSecrets()
    {
        string production = UniqueVaultName("prod");
        string staging = UniqueVaultName("staging");
        _server.Vault(production).SetSecret(SecretName, "production-value");
        _server.Vault(staging).SetSecret(SecretName, "staging-value");
        _server.Vault(staging).SetSecret("only-in-staging", "x");

        KeyVaultSecret fromProduction = await _server.CreateClient(production, FastOptions()).GetSecretAsync(SecretName);
        KeyVaultSecret fromStaging = await _server.CreateClient(staging, FastOptions()).GetSecretAsync(SecretName);
        var missing = await Assert.ThrowsAsync<RequestFailedException>(
            () => _server.CreateClient(production, FastOptions()).GetSecretAsync("only-in-staging"));

        Assert.Equal("production-value", fromProduction.Value);
        Assert.Equal("staging-value", fromStaging.Value);
        Assert.Equal(production, fromProduction.Properties.VaultUri.Host.Split('.')[0]);
        Assert.Equal(404, missing.Status);
        Assert.Equal(1, _server.Vault(staging).SecretRequestCount);
    }

    [Theory]
    [InlineData("https://{0}.vault.azure.cn/")]
    [InlineData("https://{0}.privatelink.vaultcore.azure.net/")]
    [InlineData("https://{0}.vault.usgovcloudapi.net/")]
    public async Task GetSecretAsync_OtherVaultHost_RoutesByFirstLabelAndKeepsHostInIdAndLog(string vaultUriFormat)
    {
        string vaultName = UniqueVaultName("cloud");
        _server.Vault(vaultName).SetSecret(SecretName, "value");
        var vaultUri = new Uri(string.Format(CultureInfo.InvariantCulture, vaultUriFormat, vaultName));
        SecretClientOptions options = FastOptions();
        _server.ConfigureClientOptions(options);
        var client = new SecretClient(vaultUri, _server.Credential, options);

        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);

        Assert.Equal("value", secret.Value);
        Assert.Equal(vaultUri.Host, secret.Id.Host);
        Assert.Equal(vaultName, _server.Requests.Last().VaultName);
        Assert.Equal(vaultUri.Host, _server.Requests.Last().VaultHost); // as addressed: several hosts can name one vault
    }

    [Fact]
    public async Task GetTokenAsync_WithTokenLatency_CountsAndWaitsAtLeastLatency()
    {
        var credential = new CountingTokenCredential { TokenLatency = TimeSpan.FromMilliseconds(200) };
        var context = new TokenRequestContext(["https://vault.azure.net/.default"], tenantId: "tenant-a");

        var stopwatch = Stopwatch.StartNew();
        AccessToken token = await credential.GetTokenAsync(context, CancellationToken.None);
        stopwatch.Stop();
        credential.GetToken(context, CancellationToken.None);

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(190), $"Token after {stopwatch.Elapsed}.");
        Assert.Equal(2, credential.Count);
        Assert.All(credential.Requests, r => Assert.Equal("tenant-a", r.TenantId));
        Assert.Equal(CountingTokenCredential.TokenFor("tenant-a"), token.Token); // issued in the tenant asked for
        Assert.NotEqual(credential.Token, token.Token);
        Assert.True(token.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(55));

        credential.Reset();
        Assert.Equal(0, credential.Count);
        Assert.Empty(credential.Requests);
    }

    [Fact]
    public async Task GetTokenAsync_CanceledDuringTokenLatency_ThrowsOperationCanceled()
    {
        var credential = new CountingTokenCredential { TokenLatency = TimeSpan.FromSeconds(30) };
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => credential.GetTokenAsync(new TokenRequestContext(["scope"]), cancellation.Token).AsTask());

        Assert.Equal(1, credential.Count);
    }

    [Fact]
    public async Task GetSecretAsync_CredentialFails_ThrowsThatException()
    {
        string vaultName = UniqueVaultName("auth-fails");
        _server.Vault(vaultName).SetSecret(SecretName, "value");
        _server.Credential.FailWith(new AuthenticationFailedException("DefaultAzureCredential failed to retrieve a token."));
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        await Assert.ThrowsAsync<AuthenticationFailedException>(() => client.GetSecretAsync(SecretName));
        _server.Credential.FailWith(null);
        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);

        Assert.Equal("value", secret.Value);
        Assert.Equal(2, _server.Credential.Count);
        Assert.Equal(1, _server.Vault(vaultName).SecretRequestCount);
    }

    [Fact]
    public async Task GetSecretAsync_WithoutPinnedTransport_FailsCertificateValidation()
    {
        string vaultName = UniqueVaultName("untrusted");
        _server.Vault(vaultName).SetSecret(SecretName, "value");
        var options = new SecretClientOptions { Retry = { MaxRetries = 0 } };
        _server.ConfigureRouting(options);
        var untrusted = new SecretClient(_server.GetVaultUri(vaultName), _server.Credential, options);

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => untrusted.GetSecretAsync(SecretName));
        KeyVaultSecret trusted = await _server.CreateClient(vaultName, FastOptions()).GetSecretAsync(SecretName);

        Assert.Contains(InnerExceptions(exception), e => e is AuthenticationException);
        Assert.Equal("value", trusted.Value);
        Assert.Equal([401, 200], _server.Requests.Where(r => r.VaultName == vaultName).Select(r => r.StatusCode));
    }

    [Fact]
    public void PinnedCertificateValidator_OtherCertificates_GetDefaultValidation()
    {
        var validator = new PinnedCertificateValidator(_server.Certificate);
        using X509Certificate2 other = SelfSignedCertificateFactory.Create(DateTimeOffset.UtcNow);

        Assert.True(validator.Validate(this, _server.Certificate, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(validator.Validate(this, other, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(validator.Validate(this, _server.Certificate, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(validator.Validate(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
        Assert.True(validator.Validate(this, other, null, SslPolicyErrors.None));
    }

    [Fact]
    public async Task GetSecretAsync_ValidateTokenRejects_Throws401()
    {
        string vaultName = UniqueVaultName("bad-token");
        _server.Vault(vaultName).SetSecret(SecretName, "value");
        _server.ValidateToken = token => token == "some-other-token";
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(401, exception.Status);
        Assert.Equal("Unauthorized", exception.ErrorCode);
        Assert.Contains(_server.Requests, r => r.HasToken && r.StatusCode == 401);
    }

    [Fact]
    public async Task GetSecretAsync_ClaimsChallenge_SdkAsksForATokenWithTheClaimsAndSucceeds()
    {
        const string claims = """{"access_token":{"nbf":{"essential":true,"value":"1726258122"}}}""";
        string vaultName = UniqueVaultName("claims");
        _server.Vault(vaultName).SetSecret(SecretName, "value");
        int asked = 0;
        _server.ClaimsChallenge = _ => Interlocked.Increment(ref asked) == 1 ? claims : null; // a session revoked once
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);

        Assert.Equal("value", secret.Value);
        Assert.Equal([null, claims], _server.Credential.Requests.Select(r => r.Claims));
        LocalKeyVaultRequest[] requests = [.. _server.Requests.Where(r => r.VaultName == vaultName)];
        Assert.Equal([401, 401, 200], requests.Select(r => r.StatusCode));
        Assert.Equal([false, true, true], requests.Select(r => r.HasToken));
    }

    [Fact]
    public async Task InjectFault_QueuedFaults_ApplyInOrderThenClear()
    {
        string vaultName = UniqueVaultName("queue");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(SecretName, LocalKeyVaultFault.Status(500).Once())
             .InjectFault(SecretName, LocalKeyVaultFault.Status(429).Once());
        SecretClient client = _server.CreateClient(vaultName, FastOptions());

        KeyVaultSecret secret = await client.GetSecretAsync(SecretName);

        Assert.Equal("value", secret.Value);
        Assert.Equal([500, 429, 200], TokenRequests(vaultName).Select(r => r.StatusCode));
    }

    [Fact]
    public async Task ResetCountersAndClearRequests_AfterRequests_StartFromZero()
    {
        string vaultName = UniqueVaultName("reset");
        LocalVault vault = _server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        await _server.CreateClient(vaultName, FastOptions()).GetSecretAsync(SecretName);
        Assert.NotEmpty(_server.Requests);

        _server.ResetCounters();
        _server.ClearRequests();

        Assert.Equal(0, _server.ChallengeCount);
        Assert.Equal(0, _server.SecretRequestCount);
        Assert.Equal(0, vault.ChallengeCount);
        Assert.Equal(0, vault.SecretRequestCount);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task DisposeAsync_WithHangingRequest_StopsAndFailsTheRequest()
    {
        LocalKeyVault server = await LocalKeyVault.StartAsync();
        string vaultName = UniqueVaultName("stop");
        LocalVault vault = server.Vault(vaultName);
        vault.SetSecret(SecretName, "value");
        vault.InjectFault(LocalKeyVaultFault.Hang());
        SecretClient client = server.CreateClient(vaultName, FastOptions(maxRetries: 0));
        Task<Response<KeyVaultSecret>> pending = client.GetSecretAsync(SecretName);
        await WaitUntilAsync(() => server.Requests.Any(r => r.Fault?.Kind == LocalKeyVaultFaultKind.Hang));

        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, exception.Status);
    }

    [Fact]
    public async Task DisposeAsync_ThenRequest_FailsAsConnectionRefused()
    {
        LocalKeyVault server = await LocalKeyVault.StartAsync();
        string vaultName = UniqueVaultName("gone");
        server.Vault(vaultName).SetSecret(SecretName, "value");
        SecretClient client = server.CreateClient(vaultName, FastOptions(maxRetries: 0));
        await client.GetSecretAsync(SecretName);

        await server.DisposeAsync();
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync(SecretName));

        Assert.Equal(0, exception.Status);
        Assert.Contains(InnerExceptions(exception), e => e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused });
    }

    [Fact]
    public void LocalKeyVaultFault_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalKeyVaultFault.Status(200));
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalKeyVaultFault.Status(503).Times(0));
        Assert.Throws<InvalidOperationException>(() => LocalKeyVaultFault.Hang().WithRetryAfter(TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentException>(() => _server.Vault("not a vault"));
        Assert.Throws<ArgumentException>(() => _server.Vault("kv").SetSecret("not_valid", "x"));
    }

    [Fact]
    public async Task UseLocalKeyVault_OnBuilder_SetsCredentialAndRoutesSecretClients()
    {
        string vaultName = UniqueVaultName("builder");
        _server.Vault(vaultName).SetSecret(SecretName, "value");
        var services = new ServiceCollection();
        var builder = new TestConnectionsBuilder(services);

        IOdibiConnectionsBuilder returned = builder.UseLocalKeyVault(_server);

        Assert.Same(builder, returned);
        using ServiceProvider provider = services.BuildServiceProvider();
        OdibiClientSettings settings = provider.GetRequiredService<IOptions<OdibiClientSettings>>().Value;
        Assert.Same(_server.Credential, settings.Credential);
        var options = new SecretClientOptions();
        foreach (Action<SecretClientOptions> configure in settings.ConfigureSecretClient)
        {
            configure(options);
        }

        var client = new SecretClient(_server.GetVaultUri(vaultName), settings.Credential!, options);
        Assert.Equal("value", (await client.GetSecretAsync(SecretName)).Value.Value);
    }

    private static IEnumerable<Exception> InnerExceptions(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true in time.");
            await Task.Delay(10);
        }
    }

    private LocalKeyVaultRequest[] TokenRequests(string vaultName) =>
        [.. _server.Requests.Where(r => r.VaultName == vaultName && r.HasToken)];

    private sealed class TestConnectionsBuilder(IServiceCollection services) : IOdibiConnectionsBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
