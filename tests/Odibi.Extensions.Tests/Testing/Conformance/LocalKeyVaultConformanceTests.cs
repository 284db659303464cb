using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Tests.Testing.Conformance;

/// <summary>
/// Replays exchanges recorded against the real Key Vault (see Recordings/README.md) through LocalKeyVault's public
/// client options: each recording's <c>sequence</c> sets up the state, then its request is sent and the answer compared
/// with the recorded one: status, headers' formats, JSON keys and their order, value kinds, id shapes, and literally
/// the values the client supplied. Ids, version ids, timestamps and skip tokens are the service's own, so only their
/// shape is compared.
/// </summary>
public sealed partial class LocalKeyVaultConformanceTests : IAsyncLifetime
{
    private const int RecordedRecoverableDays = 7; // every recorded vault kept deleted secrets for 7 days

    private static readonly string s_recordings = Path.Combine(AppContext.BaseDirectory, "Testing", "Conformance", "Recordings");
    private static readonly JsonWriterOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<string, string> _versions = new(StringComparer.OrdinalIgnoreCase);
    private LocalKeyVault _server = null!;
    private HttpPipeline _pipeline = null!;
    private string _vaultName = null!;
    private Uri _vaultUri = null!;

    public LocalKeyVaultConformanceTests()
    {
        TestThreadPool.EnsureMinThreads();
    }

    public static TheoryData<string> Recordings()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(s_recordings, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    public async Task InitializeAsync()
    {
        _server = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { RecoverableDays = RecordedRecoverableDays });
        var options = new SecretClientOptions { Retry = { MaxRetries = 0 } };
        _server.ConfigureClientOptions(options);
        _pipeline = HttpPipelineBuilder.Build(options);
        _vaultName = LocalKeyVaultClients.UniqueVaultName("conformance");
        _server.Vault(_vaultName);
        _vaultUri = _server.GetVaultUri(_vaultName);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public void Recordings_InTheRepository_AreAllThere()
    {
        // The suite must not pass by finding nothing to replay.
        Assert.Equal(23, Recordings().Count);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public async Task Replay_Recording_AnswersAsTheService(string scenario)
    {
        JsonElement recording = Load(scenario);
        JsonElement expected = recording.GetProperty("response");
        await SetUpAsync(scenario, recording);

        Exchange actual = await AnswerAsync(scenario, recording);

        var errors = new List<string>();
        int status = expected.GetProperty("status").GetInt32();
        if (actual.Status != status)
        {
            errors.Add($"status: expected {status}, got {actual.Status} ({actual.Body})");
        }

        CompareHeaders(expected.GetProperty("headers"), actual, errors);
        if (expected.GetProperty("body").ValueKind == JsonValueKind.Null)
        {
            if (actual.Body.Length > 0)
            {
                errors.Add($"body: expected none, got {actual.Body}");
            }
        }
        else
        {
            string? recordedVault = recording.TryGetProperty("recordedVault", out JsonElement vault) ? vault.GetString() : null;
            CompareBody(scenario, expected.GetProperty("body"), recordedVault, actual, errors);
        }

        Assert.True(errors.Count == 0, $"{scenario}:\n" + string.Join('\n', errors));
    }

    [Fact]
    public async Task Replay_ListSecrets_FollowsNextLinksToEveryNameInOrder()
    {
        JsonElement recording = Load("list-secrets-p1-200");
        await SetUpAsync("list-secrets-p1-200", recording);

        List<Exchange> pages = await ListAllAsync(recording.GetProperty("request"));

        string[] names = [.. pages.SelectMany(p => JsonDocument.Parse(p.Body).RootElement.GetProperty("value").EnumerateArray())
            .Select(item => item.GetProperty("id").GetString()!.Split('/')[^1])];
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"2078189552{i}").Order(StringComparer.Ordinal), names);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(pages[^1].Body).RootElement.GetProperty("nextLink").ValueKind);
        Assert.All(pages.SkipLast(1), p => Assert.Equal(25, JsonDocument.Parse(p.Body).RootElement.GetProperty("value").GetArrayLength()));
    }

    private static JsonElement Load(string scenario)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(s_recordings, scenario + ".json")));
        return document.RootElement.Clone();
    }

    private static string Compact(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, s_compact))
        {
            element.WriteTo(json);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void CompareHeaders(JsonElement expected, Exchange actual, List<string> errors)
    {
        foreach (JsonProperty header in expected.EnumerateObject())
        {
            string recorded = header.Value.GetString()!;
            if (!actual.Headers.TryGetValue(header.Name, out string? value))
            {
                errors.Add($"header {header.Name}: missing");
                continue;
            }

            bool matches = header.Name.ToLowerInvariant() switch
            {
                "www-authenticate" => ChallengePattern().IsMatch(value),
                "x-ms-keyvault-service-version" => recorded == "REDACTED" || ServiceVersionPattern().IsMatch(value),
                _ => value == recorded,
            };
            if (!matches)
            {
                errors.Add($"header {header.Name}: recorded '{recorded}', got '{value}'");
            }
        }

        if (!expected.TryGetProperty("Retry-After", out _) && actual.Headers.ContainsKey("Retry-After"))
        {
            errors.Add("header Retry-After: the service sent none");
        }
    }

    private void CompareBody(string scenario, JsonElement expected, string? recordedVault, Exchange actual, List<string> errors)
    {
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(actual.Body).RootElement;
        }
        catch (JsonException e)
        {
            errors.Add($"body is not JSON: {e.Message}: {actual.Body}");
            return;
        }

        if (Compact(body) != actual.Body)
        {
            errors.Add($"body is not compact JSON with + and & unescaped: {actual.Body}");
        }

        bool laterPage = IsLaterPage(scenario);
        new BodyComparer(recordedVault, _vaultUri.Authority, laterPage, errors).Compare(expected, body, "$");
        CheckTimes(body, errors);
    }

    private static bool IsLaterPage(string scenario) => scenario.StartsWith("list-", StringComparison.Ordinal) && !scenario.Contains("-p1-", StringComparison.Ordinal) && !scenario.Contains("nonexistent", StringComparison.Ordinal);

    /// <summary>Checks the relations the service keeps between timestamps: created ≤ updated, purge = deleted + recoverable days.</summary>
    private static void CheckTimes(JsonElement element, List<string> errors)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
            {
                CheckTimes(item, errors);
            }

            return;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (element.TryGetProperty("created", out JsonElement created) && element.TryGetProperty("updated", out JsonElement updated)
            && created.GetInt64() > updated.GetInt64())
        {
            errors.Add($"created {created} after updated {updated}");
        }

        if (element.TryGetProperty("deletedDate", out JsonElement deleted) && element.TryGetProperty("scheduledPurgeDate", out JsonElement purge)
            && purge.GetInt64() - deleted.GetInt64() != RecordedRecoverableDays * 86400L)
        {
            errors.Add($"scheduledPurgeDate {purge} is not deletedDate {deleted} + {RecordedRecoverableDays} days");
        }

        foreach (JsonProperty property in element.EnumerateObject())
        {
            CheckTimes(property.Value, errors);
        }
    }

    /// <summary>Replays the recording's <c>sequence</c>, or the setup its notes describe.</summary>
    private async Task SetUpAsync(string scenario, JsonElement recording)
    {
        if (scenario.StartsWith("list-secrets-", StringComparison.Ordinal))
        {
            // "Setup: 50 x PUT /secrets/2078189552<i> with {"value":"<i>"} for i in 0..49"
            for (int i = 0; i < 50; i++)
            {
                await SendAsync("PUT", $"/secrets/2078189552{i}", "api-version=7.4", JsonDocument.Parse($"{{\"value\":\"{i}\"}}").RootElement, withToken: true);
            }

            return;
        }

        if (scenario.StartsWith("list-versions-p", StringComparison.Ordinal))
        {
            // "50 x PUT /secrets/1042560993 with bodies {"value":"0"} .. {"value":"49"}"
            for (int i = 0; i < 50; i++)
            {
                await SendAsync("PUT", "/secrets/1042560993", "api-version=7.4", JsonDocument.Parse($"{{\"value\":\"{i}\"}}").RootElement, withToken: true);
            }

            return;
        }

        if (!recording.TryGetProperty("sequence", out JsonElement sequence) || sequence.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (JsonElement step in sequence.EnumerateArray())
        {
            JsonElement request;
            JsonElement? recordedBody = null;
            int? recordedStatus = null;
            if (step.TryGetProperty("ref", out JsonElement reference))
            {
                JsonElement referenced = Load(reference.GetString()!);
                request = referenced.GetProperty("request");
                recordedBody = referenced.GetProperty("response").GetProperty("body");
                recordedStatus = referenced.GetProperty("response").GetProperty("status").GetInt32();
            }
            else if (step.TryGetProperty("method", out _))
            {
                request = step;
                recordedBody = step.TryGetProperty("responseBody", out JsonElement body) ? body : null;
                recordedStatus = step.TryGetProperty("status", out JsonElement status) ? status.GetInt32() : null;
            }
            else
            {
                continue; // a note
            }

            bool withToken = recordedStatus != 401;
            string query = request.TryGetProperty("query", out JsonElement q) ? q.GetString()! : "api-version=7.4";
            Exchange answer = await SendAsync(request.GetProperty("method").GetString()!, request.GetProperty("path").GetString()!, query, request.TryGetProperty("body", out JsonElement b) ? b : null, withToken);
            if (recordedStatus is int expectedStatus)
            {
                Assert.True(answer.Status == expectedStatus, $"{scenario}: setup {request.GetProperty("method")} {request.GetProperty("path")} answered {answer.Status}, recorded {expectedStatus}: {answer.Body}");
            }

            LearnVersion(recordedBody, answer);
        }
    }

    /// <summary>Sends the recorded request, or for a later page follows this server's own next links from the first page.</summary>
    private async Task<Exchange> AnswerAsync(string scenario, JsonElement recording)
    {
        if (recording.GetProperty("request").ValueKind == JsonValueKind.Null)
        {
            // The recorded 429 has no request: throttle a vault and send one request too many.
            LocalVault vault = _server.Vault(_vaultName);
            vault.SetSecret("throttled", "value");
            vault.RateLimit = new LocalKeyVaultRateLimit(1, TimeSpan.FromMinutes(1));
            await SendAsync("GET", "/secrets/throttled/", "api-version=7.4", null, withToken: true);
            return await SendAsync("GET", "/secrets/throttled/", "api-version=7.4", null, withToken: true);
        }

        JsonElement request = recording.GetProperty("request");
        if (IsLaterPage(scenario))
        {
            List<Exchange> pages = await ListAllAsync(request);
            int page = int.Parse(PageNumberPattern().Match(scenario).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            return pages[Math.Min(page, pages.Count) - 1];
        }

        int status = recording.GetProperty("response").GetProperty("status").GetInt32();
        return await SendAsync(request.GetProperty("method").GetString()!, request.GetProperty("path").GetString()!, request.GetProperty("query").GetString()!, request.GetProperty("body"), withToken: status != 401);
    }

    /// <summary>Lists from the first page (the recorded path without its skip token) through every next link.</summary>
    private async Task<List<Exchange>> ListAllAsync(JsonElement request)
    {
        string query = request.GetProperty("query").GetString()!;
        string apiVersion = query.Split('&').First(p => p.StartsWith("api-version=", StringComparison.Ordinal));
        var pages = new List<Exchange> { await SendAsync("GET", request.GetProperty("path").GetString()!, apiVersion, null, withToken: true) };
        while (JsonDocument.Parse(pages[^1].Body).RootElement.GetProperty("nextLink") is { ValueKind: JsonValueKind.String } next)
        {
            Assert.True(pages.Count < 10, "The next links do not end.");
            var link = new Uri(next.GetString()!);
            Assert.Equal(_vaultUri.Host, link.Host);
            pages.Add(await SendAsync("GET", link.AbsolutePath, link.Query.TrimStart('?'), null, withToken: true));
        }

        return pages;
    }

    /// <summary>Maps a version id the service made to the one this server made for the same request.</summary>
    private void LearnVersion(JsonElement? recordedBody, Exchange answer)
    {
        if (recordedBody is { ValueKind: JsonValueKind.Object } recorded && recorded.TryGetProperty("id", out JsonElement recordedId)
            && answer.Status == 200 && JsonDocument.Parse(answer.Body).RootElement.TryGetProperty("id", out JsonElement id))
        {
            string recordedVersion = recordedId.GetString()!.Split('/')[^1];
            string version = id.GetString()!.Split('/')[^1];
            if (VersionPattern().IsMatch(recordedVersion) && !_versions.ContainsKey(recordedVersion))
            {
                _versions[recordedVersion] = version;
            }
        }
    }

    private async Task<Exchange> SendAsync(string method, string path, string query, JsonElement? body, bool withToken)
    {
        foreach ((string recorded, string ours) in _versions)
        {
            path = path.Replace(recorded, ours, StringComparison.OrdinalIgnoreCase);
        }

        using HttpMessage message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Parse(method);
        message.Request.Uri.Reset(new Uri(_vaultUri, path + (query.Length > 0 ? "?" + query : string.Empty)));
        if (withToken)
        {
            message.Request.Headers.SetValue("Authorization", "Bearer " + _server.Credential.Token);
        }

        if (body is { ValueKind: not JsonValueKind.Null } json)
        {
            message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(json.GetRawText()));
            message.Request.Headers.SetValue("Content-Type", "application/json");
        }
        else if (method is "PUT" or "PATCH" or "POST")
        {
            message.Request.Content = RequestContent.Create(Array.Empty<byte>()); // the SDK's challenge probe: Content-Length 0, no body
        }

        await _pipeline.SendAsync(message, CancellationToken.None);
        Response response = message.Response;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (HttpHeader header in response.Headers)
        {
            headers[header.Name] = header.Value;
        }

        return new Exchange(response.Status, headers, response.Content?.ToString() ?? string.Empty);
    }

    [GeneratedRegex("^Bearer authorization=\"https://login\\.windows\\.net/[0-9a-f-]{36}\", resource=\"https://vault\\.azure\\.net\"$")]
    private static partial Regex ChallengePattern();

    [GeneratedRegex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$")]
    private static partial Regex ServiceVersionPattern();

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("-p([0-9]+)-")]
    private static partial Regex PageNumberPattern();

    private sealed record Exchange(int Status, Dictionary<string, string> Headers, string Body);
}
