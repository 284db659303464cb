using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Testing.LocalKeyVaultClients;

namespace Odibi.Extensions.Tests.Testing;

/// <summary>Every <see cref="SecretClient"/> operation through the real SDK against LocalKeyVault, on a fake clock.</summary>
public sealed class LocalKeyVaultSecretClientTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(s_start);
    private LocalKeyVault _server = null!;
    private LocalVault _vault = null!;
    private SecretClient _client = null!;

    public LocalKeyVaultSecretClientTests()
    {
        TestThreadPool.EnsureMinThreads();
    }

    public async Task InitializeAsync()
    {
        _server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { TimeProvider = _time });
        string vaultName = UniqueVaultName("client");
        _vault = _server.Vault(vaultName);
        _client = _server.CreateClient(vaultName, FastOptions());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task GetSecretAsync_ExpiredAndNotYetValid_AreStillReturned()
    {
        _vault.SetSecret("expired", "old", expiresOn: s_start.AddDays(-1));
        _vault.SetSecret("future", "new", notBefore: s_start.AddDays(1));

        KeyVaultSecret expired = await _client.GetSecretAsync("expired");
        KeyVaultSecret future = await _client.GetSecretAsync("future");

        Assert.Equal("old", expired.Value);
        Assert.Equal(s_start.AddDays(-1), expired.Properties.ExpiresOn);
        Assert.Equal("new", future.Value);
    }

    [Fact]
    public async Task GetSecretAsync_UnknownVersion_Throws404SecretNotFound()
    {
        _vault.SetSecret("s", "v");

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetSecretAsync("s", new string('0', 32)));

        Assert.Equal(404, exception.Status);
        Assert.Equal("SecretNotFound", exception.ErrorCode);
    }

    [Fact]
    public async Task SetSecretAsync_WithTags_StoresAndReturnsThem()
    {
        var secret = new KeyVaultSecret("tagged", "v") { Properties = { ContentType = "text/plain", Tags = { ["env"] = "test", ["team"] = "data" } } };

        KeyVaultSecret stored = await _client.SetSecretAsync(secret);
        KeyVaultSecret read = await _client.GetSecretAsync("tagged");

        Assert.Equal(new Dictionary<string, string> { ["env"] = "test", ["team"] = "data" }, read.Properties.Tags);
        Assert.Equal(stored.Properties.Version, read.Properties.Version);
        Assert.Equal("Recoverable+Purgeable", read.Properties.RecoveryLevel);
        Assert.Equal(90, read.Properties.RecoverableDays);
    }

    [Fact]
    public async Task GetPropertiesOfSecretsAsync_MoreThanAPage_ListsEveryNameSortedWithoutValues()
    {
        string[] names = [.. Enumerable.Range(0, 30).Select(i => $"secret-{i}")];
        foreach (string name in names.Reverse())
        {
            _vault.SetSecret(name, "v-" + name);
        }

        _vault.SetSecret("secret-0", "newer"); // a second version is still one item
        var pages = new List<Page<SecretProperties>>();
        await foreach (Page<SecretProperties> page in _client.GetPropertiesOfSecretsAsync().AsPages())
        {
            pages.Add(page);
        }

        SecretProperties[] items = [.. pages.SelectMany(p => p.Values)];
        Assert.Equal([25, 5], pages.Select(p => p.Values.Count));
        Assert.Equal(names.Order(StringComparer.OrdinalIgnoreCase), items.Select(p => p.Name));
        Assert.All(items, p => Assert.Null(p.Version)); // ids without a version
        Assert.Null(pages[^1].ContinuationToken);
        Assert.DoesNotContain(_server.Requests, r => r.StatusCode != 200 && r.HasToken);
    }

    [Fact]
    public async Task GetPropertiesOfSecretsAsync_DeletedNamesInThePageWindow_PagesAreShortOrEmptyButNothingIsMissed()
    {
        for (int i = 0; i < 30; i++)
        {
            _vault.SetSecret($"s{i:D2}", "v");
        }

        for (int i = 0; i < 25; i++)
        {
            _vault.DeleteSecret($"s{i:D2}");
        }

        var pages = new List<Page<SecretProperties>>();
        await foreach (Page<SecretProperties> page in _client.GetPropertiesOfSecretsAsync().AsPages())
        {
            pages.Add(page);
        }

        Assert.Equal([0, 5], pages.Select(p => p.Values.Count)); // an empty page with a next link, as the service sends
        Assert.NotNull(pages[0].ContinuationToken);
        Assert.Equal(["s25", "s26", "s27", "s28", "s29"], pages[1].Values.Select(p => p.Name));
    }

    [Fact]
    public async Task GetPropertiesOfSecretVersionsAsync_ManyVersions_ListsThemByVersionId()
    {
        var created = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            created.Add(_vault.SetSecret("rotated", $"v{i}"));
        }

        var versions = new List<SecretProperties>();
        await foreach (SecretProperties properties in _client.GetPropertiesOfSecretVersionsAsync("rotated"))
        {
            versions.Add(properties);
        }

        Assert.Equal(created.Order(StringComparer.Ordinal), versions.Select(v => v.Version));
        Assert.All(versions, v => Assert.Equal("rotated", v.Name));
        Assert.Equal(2, _server.Requests.Count(r => r.HasToken && r.Method == "GET")); // 25 + 5
    }

    [Fact]
    public async Task GetPropertiesOfSecretVersionsAsync_UnknownName_IsEmptyNot404()
    {
        var versions = new List<SecretProperties>();
        await foreach (SecretProperties properties in _client.GetPropertiesOfSecretVersionsAsync("no-such-secret"))
        {
            versions.Add(properties);
        }

        Assert.Empty(versions);
    }

    [Fact]
    public async Task UpdateSecretPropertiesAsync_DisabledVersion_MergesAttributesReplacesTagsKeepsVersion()
    {
        string version = _vault.SetSecret("s", "value", contentType: "text/plain", tags: new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" });
        _vault.DisableSecret("s", version);
        var disabled = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetSecretAsync("s", version));
        _time.Advance(TimeSpan.FromSeconds(5));
        var properties = new SecretProperties(new Uri($"{_vault.VaultUri}secrets/s/{version}")) { Enabled = true, ExpiresOn = s_start.AddDays(30) };
        properties.Tags["D"] = "5";

        SecretProperties updated = await _client.UpdateSecretPropertiesAsync(properties);
        KeyVaultSecret read = await _client.GetSecretAsync("s");

        Assert.Equal(version, updated.Version);
        Assert.True(updated.Enabled);
        Assert.Equal(s_start.AddDays(30), updated.ExpiresOn);
        Assert.Equal("text/plain", updated.ContentType); // not sent, so kept
        Assert.Equal(new Dictionary<string, string> { ["D"] = "5" }, updated.Tags);
        Assert.Equal(s_start, updated.CreatedOn);
        Assert.Equal(s_start.AddSeconds(5), updated.UpdatedOn);
        Assert.Equal("value", read.Value);
        Assert.Equal(403, disabled.Status);
        Assert.Equal([version], _vault.GetSecretVersions("s"));
    }

    [Fact]
    public async Task UpdateSecretPropertiesAsync_UnknownVersion_Throws404()
    {
        _vault.SetSecret("s", "value");
        var properties = new SecretProperties(new Uri($"{_vault.VaultUri}secrets/s/{new string('a', 32)}")) { Enabled = false };

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.UpdateSecretPropertiesAsync(properties));

        Assert.Equal(404, exception.Status);
        Assert.Equal("SecretNotFound", exception.ErrorCode);
    }

    [Fact]
    public async Task StartDeleteSecretAsync_Secret_IsGoneButReadableAsDeleted()
    {
        _vault.SetSecret("s", "one");
        _vault.SetSecret("s", "two", contentType: "text/plain");
        _time.Advance(TimeSpan.FromSeconds(10));

        DeleteSecretOperation operation = await _client.StartDeleteSecretAsync("s");
        DeletedSecret deleted = await operation.WaitForCompletionAsync();

        Assert.Equal("s", deleted.Name);
        Assert.Null(deleted.Value);
        Assert.Equal("text/plain", deleted.Properties.ContentType);
        Assert.Equal(new Uri($"{_vault.VaultUri}deletedsecrets/s"), deleted.RecoveryId);
        Assert.Equal(s_start.AddSeconds(10), deleted.DeletedOn);
        Assert.Equal(s_start.AddSeconds(10).AddDays(90), deleted.ScheduledPurgeDate);
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetSecretAsync("s"));
        Assert.Equal("SecretNotFound", exception.ErrorCode);
        Assert.Equal(["s"], _vault.GetDeletedSecretNames());
        Assert.Empty(_vault.GetSecretNames());
    }

    [Fact]
    public async Task StartDeleteSecretAsync_UnknownOrAlreadyDeleted_Throws404()
    {
        _vault.SetSecret("s", "v");
        await (await _client.StartDeleteSecretAsync("s")).WaitForCompletionAsync();

        var again = await Assert.ThrowsAsync<RequestFailedException>(() => _client.StartDeleteSecretAsync("s"));
        var unknown = await Assert.ThrowsAsync<RequestFailedException>(() => _client.StartDeleteSecretAsync("never-there"));

        Assert.Equal(404, again.Status);
        Assert.Equal(404, unknown.Status);
        Assert.Equal("SecretNotFound", unknown.ErrorCode);
    }

    [Fact]
    public async Task SetSecretAsync_DeletedName_Throws409UntilPurged()
    {
        _vault.SetSecret("s", "v");
        _vault.DeleteSecret("s");

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.SetSecretAsync("s", "again"));
        await _client.PurgeDeletedSecretAsync("s");
        KeyVaultSecret reused = await _client.SetSecretAsync("s", "again");

        Assert.Equal(409, exception.Status);
        Assert.Equal("Conflict", exception.ErrorCode);
        Assert.Equal("again", reused.Value);
        Assert.Single(_vault.GetSecretVersions("s"));
    }

    [Fact]
    public async Task GetDeletedSecretAsync_UnknownName_Throws404()
    {
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetDeletedSecretAsync("never-there"));

        Assert.Equal(404, exception.Status);
        Assert.Equal("SecretNotFound", exception.ErrorCode);
    }

    [Fact]
    public async Task GetDeletedSecretsAsync_DeletedSecrets_ListsThemByName()
    {
        foreach (string name in new[] { "c-secret", "a-secret", "b-secret", "kept" })
        {
            _vault.SetSecret(name, "v");
        }

        _vault.DeleteSecret("c-secret");
        _vault.DeleteSecret("a-secret");
        _vault.DeleteSecret("b-secret");
        var deleted = new List<DeletedSecret>();
        await foreach (DeletedSecret secret in _client.GetDeletedSecretsAsync())
        {
            deleted.Add(secret);
        }

        Assert.Equal(["a-secret", "b-secret", "c-secret"], deleted.Select(d => d.Name));
        Assert.All(deleted, d => Assert.Null(d.Value));
        Assert.All(deleted, d => Assert.Equal(s_start.AddDays(90), d.ScheduledPurgeDate));
    }

    [Fact]
    public async Task StartRecoverDeletedSecretAsync_DeletedSecret_BringsEveryVersionBack()
    {
        string first = _vault.SetSecret("s", "one");
        string second = _vault.SetSecret("s", "two");
        await (await _client.StartDeleteSecretAsync("s")).WaitForCompletionAsync();

        RecoverDeletedSecretOperation operation = await _client.StartRecoverDeletedSecretAsync("s");
        SecretProperties recovered = await operation.WaitForCompletionAsync();

        Assert.Equal(second, recovered.Version);
        Assert.Equal("two", (await _client.GetSecretAsync("s")).Value.Value);
        Assert.Equal("one", (await _client.GetSecretAsync("s", first)).Value.Value);
        Assert.Empty(_vault.GetDeletedSecretNames());
        await Assert.ThrowsAsync<RequestFailedException>(() => _client.StartRecoverDeletedSecretAsync("s"));
    }

    [Fact]
    public async Task PurgeDeletedSecretAsync_DeletedSecret_AnswersNoContentAndForgetsIt()
    {
        _vault.SetSecret("s", "v");
        _vault.DeleteSecret("s");

        Response response = await _client.PurgeDeletedSecretAsync("s");
        var again = await Assert.ThrowsAsync<RequestFailedException>(() => _client.PurgeDeletedSecretAsync("s"));
        var read = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetDeletedSecretAsync("s"));

        Assert.Equal(204, response.Status);
        Assert.Empty(response.Content.ToArray());
        Assert.False(response.Headers.TryGetValue("Content-Type", out _));
        Assert.Equal(404, again.Status);
        Assert.Equal(404, read.Status);
    }

    [Fact]
    public async Task BackupSecretAsync_ThenRestoreAfterPurge_BringsBackEveryVersionAndValue()
    {
        string first = _vault.SetSecret("s", "one");
        string second = _vault.SetSecret("s", "two", contentType: "text/plain", tags: new Dictionary<string, string> { ["k"] = "v" });

        byte[] backup = await _client.BackupSecretAsync("s");
        var conflict = await Assert.ThrowsAsync<RequestFailedException>(() => _client.RestoreSecretBackupAsync(backup));
        _vault.DeleteSecret("s");
        _vault.PurgeDeletedSecret("s");
        SecretProperties restored = await _client.RestoreSecretBackupAsync(backup);

        Assert.Equal(409, conflict.Status);
        Assert.Equal(second, restored.Version);
        Assert.Equal("text/plain", restored.ContentType);
        Assert.Equal([first, second], _vault.GetSecretVersions("s"));
        Assert.Equal("one", _vault.GetSecretValue("s", first));
        KeyVaultSecret read = await _client.GetSecretAsync("s");
        Assert.Equal("two", read.Value);
        Assert.Equal(new Dictionary<string, string> { ["k"] = "v" }, read.Properties.Tags);
    }

    [Fact]
    public async Task RestoreSecretBackupAsync_NotABackup_Throws400()
    {
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.RestoreSecretBackupAsync([1, 2, 3]));

        Assert.Equal(400, exception.Status);
        Assert.Equal("BadParameter", exception.ErrorCode);
    }

    [Fact]
    public async Task BackupSecretAsync_UnknownName_Throws404()
    {
        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => _client.BackupSecretAsync("never-there"));

        Assert.Equal(404, exception.Status);
    }

    [Fact]
    public async Task ListSecrets_MaxResults_PagesByItAndKeepsItInNextLink()
    {
        for (int i = 0; i < 12; i++)
        {
            _vault.SetSecret($"s{i:D2}", "v");
        }

        HttpPipeline pipeline = Pipeline();
        (int status, JsonElement body) = await SendAsync(pipeline, new Uri(_vault.VaultUri, "secrets?api-version=7.4&maxresults=5"));
        string next = body.GetProperty("nextLink").GetString()!;
        (_, JsonElement second) = await SendAsync(pipeline, new Uri(next));
        (int invalid, JsonElement error) = await SendAsync(pipeline, new Uri(_vault.VaultUri, "secrets?api-version=7.4&maxresults=26"));

        Assert.Equal(200, status);
        Assert.Equal(5, body.GetProperty("value").GetArrayLength());
        Assert.StartsWith($"https://{_vault.VaultUri.Host}:443/secrets?api-version=7.4&$skiptoken=", next, StringComparison.Ordinal);
        Assert.EndsWith("&maxresults=5", next, StringComparison.Ordinal);
        Assert.Equal("https://" + _vault.VaultUri.Host + "/secrets/s05", second.GetProperty("value")[0].GetProperty("id").GetString());
        Assert.Equal(400, invalid);
        Assert.Equal("BadParameter", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task SendAsync_MethodNotAllowedAndEmptyName_Answer405AfterTheChallenge()
    {
        HttpPipeline pipeline = Pipeline();
        SecretClientOptions options = FastOptions(maxRetries: 0);
        _server.ConfigureClientOptions(options);

        (int challenge, _) = await SendAsync(HttpPipelineBuilder.Build(options), new Uri(_vault.VaultUri, "secrets/?api-version=7.4"), RequestMethod.Put);
        (int put, JsonElement body) = await SendAsync(pipeline, new Uri(_vault.VaultUri, "secrets/?api-version=7.4"), RequestMethod.Put);
        (int post, _) = await SendAsync(pipeline, new Uri(_vault.VaultUri, "deletedsecrets?api-version=7.4"), RequestMethod.Post);

        Assert.Equal(401, challenge);
        Assert.Equal(405, put);
        Assert.Equal("MethodNotAllowed", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("HTTP PUT not allowed", body.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(405, post);
    }

    [Fact]
    public async Task GetSecretAsync_NonAsciiVaultHost_IsRoutedByItsPunycodeForm()
    {
        var vaultUri = new Uri("https://bücher-kv.vault.azure.net/");
        _server.Vault("bücher-kv");
        SecretClientOptions options = FastOptions(maxRetries: 0);
        _server.ConfigureClientOptions(options);
        var client = new SecretClient(vaultUri, _server.Credential, options);

        KeyVaultSecret stored = await client.SetSecretAsync("s", "v").WaitAsync(TimeSpan.FromSeconds(30));
        KeyVaultSecret read = await client.GetSecretAsync("s").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("v", read.Value);
        Assert.Equal("xn--bcher-kv-65a.vault.azure.net", stored.Id.Host);
        Assert.Same(_server.Vault("bücher-kv"), _server.Vault("xn--bcher-kv-65a"));
        Assert.Equal("v", _server.Vault("bücher-kv").GetSecretValue("s"));
    }

    [Fact]
    public async Task EveryOperation_SecretValue_NeverReachesTheLogOrRequestLog()
    {
        const string value = "s3cr3t-value-0001";
        var collector = new FakeLogCollector();
        using ILoggerFactory loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        await using LocalKeyVault server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { LoggerFactory = loggerFactory });
        string vaultName = UniqueVaultName("quiet");
        SecretClient client = server.CreateClient(vaultName, FastOptions(maxRetries: 0));

        KeyVaultSecret secret = await client.SetSecretAsync("s", value);
        await client.GetSecretAsync("s");
        await client.UpdateSecretPropertiesAsync(secret.Properties);
        await foreach (SecretProperties _ in client.GetPropertiesOfSecretsAsync())
        {
        }

        await foreach (SecretProperties _ in client.GetPropertiesOfSecretVersionsAsync("s"))
        {
        }

        byte[] backup = await client.BackupSecretAsync("s");
        await (await client.StartDeleteSecretAsync("s")).WaitForCompletionAsync();
        await client.GetDeletedSecretAsync("s");
        await client.PurgeDeletedSecretAsync("s");
        await client.RestoreSecretBackupAsync(backup);
        var conflict = await Assert.ThrowsAsync<RequestFailedException>(() => client.RestoreSecretBackupAsync(backup));

        Assert.NotEmpty(collector.GetSnapshot());
        Assert.All(collector.GetSnapshot(), record => Assert.DoesNotContain(value, record.Message, StringComparison.Ordinal));
        Assert.All(server.Requests, request => Assert.DoesNotContain(value, request.ToString(), StringComparison.Ordinal));
        Assert.DoesNotContain(value, conflict.Message, StringComparison.Ordinal);
    }

    private static async Task<(int Status, JsonElement Body)> SendAsync(HttpPipeline pipeline, Uri uri, RequestMethod? method = null)
    {
        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = method ?? RequestMethod.Get;
        message.Request.Uri.Reset(uri);
        if (method == RequestMethod.Put || method == RequestMethod.Post)
        {
            message.Request.Content = RequestContent.Create("{\"value\":\"v\"}"u8.ToArray());
        }

        await pipeline.SendAsync(message, CancellationToken.None);
        return (message.Response.Status, JsonDocument.Parse(message.Response.Content).RootElement.Clone());
    }

    /// <summary>A pipeline like a SecretClient's (challenge and token included), for requests the client cannot make.</summary>
    private HttpPipeline Pipeline()
    {
        SecretClientOptions options = FastOptions(maxRetries: 0);
        _server.ConfigureClientOptions(options);
        return HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(_server.Credential, "https://vault.azure.net/.default"));
    }
}
