using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>Answers one request the way the Key Vault secrets service would, applying the server's knobs and faults.</summary>
internal sealed class KeyVaultRequestHandler
{
    private const string BearerPrefix = "Bearer ";
    private const string ThrottledMessage = "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached";
    private const string DefaultApiVersion = "7.4";
    private const string ServiceVersion = "1.9.713.1";
    private const int MaxPageSize = 25;
    private const string NotFoundHelp = "If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

    private readonly LocalKeyVault _server;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly string _challenge;

    public KeyVaultRequestHandler(LocalKeyVault server, ILogger logger, CancellationToken stopping)
    {
        _server = server;
        _logger = logger;
        _stopping = stopping;
        _challenge = $"Bearer authorization=\"https://login.windows.net/{server.TenantId}\", resource=\"https://vault.azure.net\"";
    }

    public async Task HandleAsync(HttpContext context)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping);
        try
        {
            await HandleCoreAsync(context, abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // The client gave up or the server is stopping: end the connection without an answer.
            context.Abort();
        }
    }

    private static bool TryGetBearerToken(HttpRequest request, out string token)
    {
        string authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            token = authorization[BearerPrefix.Length..].Trim();
            return token.Length > 0;
        }

        token = string.Empty;
        return false;
    }

    private static string GetVaultAuthority(string? host, LocalVault vault)
    {
        return host is not null && Uri.TryCreate("https://" + host + "/", UriKind.Absolute, out Uri? uri) && uri.AbsolutePath == "/"
            ? uri.Authority
            : vault.VaultUri.Authority;
    }

    private static (string Code, string Message, string? InnerCode) DescribeStatus(int statusCode, string? secretName) => statusCode switch
    {
        401 => ("Unauthorized", "AKV10032: Invalid issuer. (LocalKeyVault injected fault)", null),
        403 => ("Forbidden", "Caller is not authorized to perform action on resource. (LocalKeyVault injected fault)", "ForbiddenByRbac"),
        404 => ("SecretNotFound", $"A secret with (name/id) {secretName} was not found in this key vault. {NotFoundHelp}", null),
        429 => ("Throttled", ThrottledMessage, null),
        500 => ("InternalServerError", "The server encountered an internal error. (LocalKeyVault injected fault)", null),
        503 => ("ServiceUnavailable", "The service is temporarily unavailable. (LocalKeyVault injected fault)", null),
        _ => (ReasonPhrases.GetReasonPhrase(statusCode).Replace(" ", string.Empty, StringComparison.Ordinal) is { Length: > 0 } code ? code : "Error",
              "LocalKeyVault injected fault.", null),
    };

    /// <summary>The headers the service sends with every answer (the region and network headers aside).</summary>
    private static void WriteServiceHeaders(HttpContext context)
    {
        IHeaderDictionary headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.Pragma = "no-cache";
        headers.Expires = "-1";
        headers.XContentTypeOptions = "nosniff";
        headers.StrictTransportSecurity = "max-age=31536000;includeSubDomains";
        headers["x-ms-keyvault-service-version"] = ServiceVersion;
        headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        if (context.Request.Headers.TryGetValue("x-ms-client-request-id", out StringValues clientRequestId))
        {
            headers["x-ms-client-request-id"] = clientRequestId;
        }
    }

    private static string ToRetryAfterSeconds(TimeSpan delay)
    {
        long seconds = (long)Math.Ceiling(delay.TotalSeconds);
        return Math.Max(0, seconds).ToString(CultureInfo.InvariantCulture);
    }

    private async Task HandleCoreAsync(HttpContext context, CancellationToken cancellationToken)
    {
        HttpRequest request = context.Request;
        DateTimeOffset arrived = _server.TimeProvider.GetUtcNow();
        SecretRoute route = SecretRoute.Parse(request.Method, request.Path);
        string vaultName = request.Headers[LocalVaultHeaders.VaultName].ToString();
        LocalVault? vault = LocalKeyVault.IsValidVaultName(vaultName) ? _server.FindVault(vaultName) : null;
        bool hasToken = TryGetBearerToken(request, out string token);
        string vaultHost = request.Headers[LocalVaultHeaders.VaultHost].ToString();
        var entry = new Entry(this, arrived, request.Method, vault?.Name, vaultHost.Length > 0 ? vaultHost : null, route, hasToken);

        TimeSpan delay = _server.NextDelay(vault);
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                entry.Record(statusCode: null);
                throw;
            }
        }

        WriteServiceHeaders(context);
        if (vault is null && vaultName.Length > 0 && LocalKeyVault.IsValidVaultName(vaultName))
        {
            await entry.ErrorAsync(context, 404, "VaultNotFound", $"LocalKeyVault hosts no vault named '{vaultName}': create it before use with LocalKeyVault.Vault(\"{vaultName}\").", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (vault is null)
        {
            await entry.ErrorAsync(context, 400, "BadParameter", $"The request names no vault: send it through a client configured with LocalKeyVault.ConfigureClientOptions (header {LocalVaultHeaders.VaultName}).", cancellationToken).ConfigureAwait(false);
            return;
        }

        LocalKeyVaultRateLimit? rateLimit = vault.RateLimit ?? _server.RateLimit;
        if (!hasToken)
        {
            if (rateLimit is { CountChallenges: true } && await ThrottleAsync(context, entry, vault, rateLimit, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            vault.CountChallenge();
            _server.CountChallenge();
            context.Response.Headers.WWWAuthenticate = _challenge;
            await entry.ErrorAsync(context, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", cancellationToken).ConfigureAwait(false);
            return;
        }

        vault.CountSecretRequest();
        _server.CountSecretRequest();

        if (_server.ValidateToken is { } validate && !validate(token))
        {
            context.Response.Headers.WWWAuthenticate = _challenge;
            await entry.ErrorAsync(context, 401, "Unauthorized", "AKV10032: The bearer token was rejected by LocalKeyVault.ValidateToken.", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (rateLimit is not null && await ThrottleAsync(context, entry, vault, rateLimit, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (route.Operation == SecretOperation.Unsupported)
        {
            await entry.ErrorAsync(context, 400, "BadParameter", $"LocalKeyVault does not support {request.Method} {request.Path}: it answers the Key Vault secrets API (/secrets, /deletedsecrets).", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (route.Operation == SecretOperation.MethodNotAllowed)
        {
            await entry.ErrorAsync(context, 405, "MethodNotAllowed", $"HTTP {request.Method} not allowed", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (vault.TakeFault(route.Name) is { } fault)
        {
            await ApplyFaultAsync(context, entry with { Fault = fault }, fault, route.Name, route.Verb, cancellationToken).ConfigureAwait(false);
            return;
        }

        var operation = new Operation(context, entry, vault, route, GetVaultAuthority(entry.VaultHost, vault), cancellationToken);
        Task answer = route.Operation switch
        {
            SecretOperation.GetSecret => GetAsync(operation),
            SecretOperation.SetSecret => SetAsync(operation),
            SecretOperation.UpdateSecret => UpdateAsync(operation),
            SecretOperation.DeleteSecret => DeleteAsync(operation),
            SecretOperation.ListSecrets => ListSecretsAsync(operation),
            SecretOperation.ListVersions => ListVersionsAsync(operation),
            SecretOperation.BackupSecret => BackupAsync(operation),
            SecretOperation.RestoreSecret => RestoreAsync(operation),
            SecretOperation.GetDeletedSecret => GetDeletedAsync(operation),
            SecretOperation.ListDeletedSecrets => ListDeletedAsync(operation),
            SecretOperation.PurgeDeletedSecret => PurgeAsync(operation),
            _ => RecoverAsync(operation),
        };
        await answer.ConfigureAwait(false);
    }

    /// <summary>Takes a place in the vault's rate-limit window, or answers 429 as the service does and returns <see langword="true"/>.</summary>
    private async Task<bool> ThrottleAsync(HttpContext context, Entry entry, LocalVault vault, LocalKeyVaultRateLimit rateLimit, CancellationToken cancellationToken)
    {
        if (vault.TryAcquire(_server.TimeProvider.GetUtcNow(), rateLimit, out TimeSpan retryAfter))
        {
            return false;
        }

        if (rateLimit.SendRetryAfter)
        {
            context.Response.Headers.RetryAfter = ToRetryAfterSeconds(retryAfter);
        }

        await entry.ErrorAsync(context, 429, "Throttled", ThrottledMessage, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static string NotFoundMessage(string id) => $"A secret with (name/id) {id} was not found in this key vault. {NotFoundHelp}";

    private static Task NotFoundAsync(Operation op, string id) =>
        op.Entry.ErrorAsync(op.Context, 404, "SecretNotFound", NotFoundMessage(id), op.CancellationToken);

    private static async Task GetAsync(Operation op)
    {
        string name = op.Route.Name!;
        SecretVersion? secret = LocalVault.IsValidSecretName(name) ? op.Vault.FindSecret(name, op.Route.Version) : null;
        if (secret is null)
        {
            await NotFoundAsync(op, op.Route.Version is null ? name : $"{name}/{op.Route.Version}").ConfigureAwait(false);
            return;
        }

        if (!secret.Enabled)
        {
            await op.Entry.ErrorAsync(op.Context, 403, "Forbidden", "Operation get is not allowed on a disabled secret.", op.CancellationToken, "SecretDisabled").ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(secret, op.Authority, op.Vault.Recovery, includeValue: true)).ConfigureAwait(false);
    }

    private static async Task SetAsync(Operation op)
    {
        string name = op.Route.Name!;
        if (!LocalVault.IsValidSecretName(name))
        {
            await BadParameterAsync(op, "The request URI contains an invalid name: " + name).ConfigureAwait(false);
            return;
        }

        using JsonDocument? body = await ReadBodyAsync(op).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        JsonElement root = body.RootElement;
        if (!root.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.String)
        {
            await BadParameterAsync(op, "Property value is required and must be a string.").ConfigureAwait(false);
            return;
        }

        var attributes = new Attributes(root);
        SecretVersion? stored = op.Vault.AddVersion(
            name,
            value.GetString()!,
            ReadString(root, "contentType"),
            attributes.Enabled ?? true,
            attributes.NotBefore.Value,
            attributes.ExpiresOn.Value,
            ReadTags(root));
        if (stored is null)
        {
            await op.Entry.ErrorAsync(op.Context, 409, "Conflict", $"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", op.CancellationToken).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(stored, op.Authority, op.Vault.Recovery, includeValue: true)).ConfigureAwait(false);
    }

    private static async Task UpdateAsync(Operation op)
    {
        string name = op.Route.Name!;
        using JsonDocument? body = await ReadBodyAsync(op).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        JsonElement root = body.RootElement;
        var attributes = new Attributes(root);
        bool hasContentType = root.TryGetProperty("contentType", out _);
        string? contentType = ReadString(root, "contentType");
        IReadOnlyDictionary<string, string>? tags = root.TryGetProperty("tags", out _) ? ReadTags(root) : null;

        // Attributes merge field by field, tags are replaced whole, the version and its creation time stay.
        SecretVersion? updated = LocalVault.IsValidSecretName(name)
            ? op.Vault.UpdateVersion(name, op.Route.Version, (current, now) => current with
            {
                ContentType = hasContentType ? contentType : current.ContentType,
                Enabled = attributes.Enabled ?? current.Enabled,
                NotBefore = attributes.NotBefore.Present ? attributes.NotBefore.Value : current.NotBefore,
                ExpiresOn = attributes.ExpiresOn.Present ? attributes.ExpiresOn.Value : current.ExpiresOn,
                Tags = tags ?? current.Tags,
                Updated = now,
            })
            : null;
        if (updated is null)
        {
            await NotFoundAsync(op, op.Route.Version is null ? name : $"{name}/{op.Route.Version}").ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(updated, op.Authority, op.Vault.Recovery, includeValue: false)).ConfigureAwait(false);
    }

    private static async Task DeleteAsync(Operation op)
    {
        string name = op.Route.Name!;
        DeletedSecretSnapshot? deleted = LocalVault.IsValidSecretName(name) ? op.Vault.Delete(name) : null;
        if (deleted is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.DeletedSecret(deleted, op.Authority, op.Vault.Recovery)).ConfigureAwait(false);
    }

    private static async Task GetDeletedAsync(Operation op)
    {
        string name = op.Route.Name!;
        DeletedSecretSnapshot? deleted = LocalVault.IsValidSecretName(name) ? op.Vault.FindDeleted(name) : null;
        if (deleted is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.DeletedSecret(deleted, op.Authority, op.Vault.Recovery)).ConfigureAwait(false);
    }

    private static async Task PurgeAsync(Operation op)
    {
        string name = op.Route.Name!;
        if (!LocalVault.IsValidSecretName(name) || !op.Vault.Purge(name))
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(204, body: null).ConfigureAwait(false);
    }

    private static async Task RecoverAsync(Operation op)
    {
        string name = op.Route.Name!;
        SecretVersion? recovered = LocalVault.IsValidSecretName(name) ? op.Vault.Recover(name) : null;
        if (recovered is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(recovered, op.Authority, op.Vault.Recovery, includeValue: false)).ConfigureAwait(false);
    }

    private static async Task BackupAsync(Operation op)
    {
        string name = op.Route.Name!;
        List<SecretVersion>? versions = LocalVault.IsValidSecretName(name) ? op.Vault.Backup(name) : null;
        if (versions is null)
        {
            await NotFoundAsync(op, name).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Backup(SecretBackup.Write(versions))).ConfigureAwait(false);
    }

    private static async Task RestoreAsync(Operation op)
    {
        using JsonDocument? body = await ReadBodyAsync(op).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        List<SecretVersion>? versions = ReadString(body.RootElement, "value") is { } blob ? SecretBackup.TryRead(blob) : null;
        if (versions is null)
        {
            await BadParameterAsync(op, "Backup blob contains invalid or corrupt version.").ConfigureAwait(false);
            return;
        }

        SecretVersion? restored = op.Vault.Restore(versions);
        if (restored is null)
        {
            await op.Entry.ErrorAsync(op.Context, 409, "Conflict", $"Secret {versions[0].Name} already exists (or is deleted and not yet purged) in this key vault.", op.CancellationToken).ConfigureAwait(false);
            return;
        }

        await op.RespondAsync(200, KeyVaultJson.Secret(restored, op.Authority, op.Vault.Recovery, includeValue: false)).ConfigureAwait(false);
    }

    private static async Task ListSecretsAsync(Operation op)
    {
        if (ReadPaging(op) is not { } paging)
        {
            await BadParameterAsync(op, "maxresults must be a number from 1 to 25, and $skiptoken must come from a nextLink.").ConfigureAwait(false);
            return;
        }

        // As the service does, page over the whole name index and leave the deleted names out of each page: a page
        // can then be short, or empty with a next link, and clients must follow next links until null.
        var window = Page(op.Vault.ListSecretIndex(), entry => entry.Latest.Name.ToUpperInvariant(), paging, out string? nextKey);
        string? nextLink = NextLink(op, "secrets", paging, nextKey);
        IEnumerable<SecretVersion> page = window.Where(entry => !entry.Deleted).Select(entry => entry.Latest);
        await op.RespondAsync(200, KeyVaultJson.SecretPage(page, op.Authority, op.Vault.Recovery, withVersion: false, nextLink)).ConfigureAwait(false);
    }

    private static async Task ListVersionsAsync(Operation op)
    {
        if (ReadPaging(op) is not { } paging)
        {
            await BadParameterAsync(op, "maxresults must be a number from 1 to 25, and $skiptoken must come from a nextLink.").ConfigureAwait(false);
            return;
        }

        // An unknown name lists as an empty page, not 404, as the service answers.
        string name = op.Route.Name!;
        List<SecretVersion> versions = LocalVault.IsValidSecretName(name) ? op.Vault.ListVersions(name) : [];
        List<SecretVersion> page = Page(versions, v => v.Version.ToLowerInvariant(), paging, out string? nextKey);
        string? nextLink = NextLink(op, $"secrets/{name}/versions", paging, nextKey);
        await op.RespondAsync(200, KeyVaultJson.SecretPage(page, op.Authority, op.Vault.Recovery, withVersion: true, nextLink)).ConfigureAwait(false);
    }

    private static async Task ListDeletedAsync(Operation op)
    {
        if (ReadPaging(op) is not { } paging)
        {
            await BadParameterAsync(op, "maxresults must be a number from 1 to 25, and $skiptoken must come from a nextLink.").ConfigureAwait(false);
            return;
        }

        List<DeletedSecretSnapshot> page = Page(op.Vault.ListDeletedSecrets(), s => s.Latest.Name.ToUpperInvariant(), paging, out string? nextKey);
        string? nextLink = NextLink(op, "deletedsecrets", paging, nextKey);
        await op.RespondAsync(200, KeyVaultJson.DeletedPage(page, op.Authority, op.Vault.Recovery, nextLink)).ConfigureAwait(false);
    }

    /// <summary>Reads <c>maxresults</c> (1 to 25, default 25) and <c>$skiptoken</c> (the key after which the page starts); <see langword="null"/> if either is invalid.</summary>
    private static Paging? ReadPaging(Operation op)
    {
        IQueryCollection query = op.Context.Request.Query;
        int? maxResults = null;
        if (query.TryGetValue("maxresults", out StringValues max))
        {
            if (!int.TryParse(max.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed is < 1 or > MaxPageSize)
            {
                return null;
            }

            maxResults = parsed;
        }

        string? after = null;
        if (query.TryGetValue("$skiptoken", out StringValues token))
        {
            try
            {
                after = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.ToString()));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        string apiVersion = query.TryGetValue("api-version", out StringValues version) && version.ToString().Length > 0 ? version.ToString() : DefaultApiVersion;
        return new Paging(maxResults, after, apiVersion);
    }

    /// <summary>Takes the items after <see cref="Paging.After"/>, one page of them; <paramref name="nextKey"/> is the last key taken when more remain.</summary>
    private static List<T> Page<T>(List<T> sorted, Func<T, string> key, Paging paging, out string? nextKey)
    {
        IEnumerable<T> remaining = paging.After is null ? sorted : sorted.Where(item => string.CompareOrdinal(key(item), paging.After) > 0);
        List<T> page = [.. remaining.Take((paging.MaxResults ?? MaxPageSize) + 1)];
        if (page.Count > (paging.MaxResults ?? MaxPageSize))
        {
            page.RemoveAt(page.Count - 1);
            nextKey = key(page[^1]);
        }
        else
        {
            nextKey = null;
        }

        return page;
    }

    /// <summary>The absolute next-page link, as the service writes it: the vault host with <c>:443</c>, the api-version and an opaque <c>$skiptoken</c>.</summary>
    private static string? NextLink(Operation op, string path, Paging paging, string? nextKey)
    {
        if (nextKey is null)
        {
            return null;
        }

        var vault = new Uri("https://" + op.Authority + "/");
        string token = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nextKey));
        string link = $"https://{vault.IdnHost}:{vault.Port.ToString(CultureInfo.InvariantCulture)}/{path}?api-version={Uri.EscapeDataString(paging.ApiVersion)}&$skiptoken={token}";
        return paging.MaxResults is int max ? link + "&maxresults=" + max.ToString(CultureInfo.InvariantCulture) : link;
    }

    /// <summary>Reads the JSON object body, or answers 400 and returns <see langword="null"/>.</summary>
    private static async Task<JsonDocument?> ReadBodyAsync(Operation op)
    {
        JsonDocument? body = null;
        try
        {
            body = await JsonDocument.ParseAsync(op.Context.Request.Body, cancellationToken: op.CancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
        }

        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
        {
            body?.Dispose();
            await BadParameterAsync(op, "The request body is not a valid JSON object.").ConfigureAwait(false);
            return null;
        }

        return body;
    }

    private static Task BadParameterAsync(Operation op, string message) =>
        op.Entry.ErrorAsync(op.Context, 400, "BadParameter", message, op.CancellationToken);

    private static string? ReadString(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement element) && element.ValueKind == JsonValueKind.String ? element.GetString() : null;

    private static Dictionary<string, string> ReadTags(JsonElement root)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tags", out JsonElement tagElement) && tagElement.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty tag in tagElement.EnumerateObject())
            {
                tags[tag.Name] = tag.Value.ValueKind == JsonValueKind.String ? tag.Value.GetString()! : tag.Value.GetRawText();
            }
        }

        return tags;
    }

    /// <summary>A request being answered, with what each operation needs.</summary>
    private sealed record Operation(HttpContext Context, Entry Entry, LocalVault Vault, SecretRoute Route, string Authority, CancellationToken CancellationToken)
    {
        public Task RespondAsync(int statusCode, byte[]? body) => Entry.RespondAsync(Context, statusCode, body, CancellationToken);
    }

    private sealed record Paging(int? MaxResults, string? After, string ApiVersion);

    /// <summary>A Unix-time attribute of a request: whether it was sent, and its value (<see langword="null"/> for JSON null).</summary>
    private readonly record struct OptionalTime(bool Present, DateTimeOffset? Value);

    /// <summary>The <c>attributes</c> object of a set or update request.</summary>
    private readonly struct Attributes
    {
        public Attributes(JsonElement root)
        {
            if (root.TryGetProperty("attributes", out JsonElement attributes) && attributes.ValueKind == JsonValueKind.Object)
            {
                Enabled = attributes.TryGetProperty("enabled", out JsonElement e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
                NotBefore = Read(attributes, "nbf");
                ExpiresOn = Read(attributes, "exp");
            }
        }

        public bool? Enabled { get; }

        public OptionalTime NotBefore { get; }

        public OptionalTime ExpiresOn { get; }

        private static OptionalTime Read(JsonElement attributes, string name)
        {
            if (!attributes.TryGetProperty(name, out JsonElement element))
            {
                return default;
            }

            return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out long seconds)
                ? new OptionalTime(true, DateTimeOffset.FromUnixTimeSeconds(seconds))
                : new OptionalTime(true, null);
        }
    }

    private static async Task ApplyFaultAsync(HttpContext context, Entry entry, LocalKeyVaultFault fault, string? secretName, string operation, CancellationToken cancellationToken)
    {
        if (fault.RetryAfter is TimeSpan retryAfter)
        {
            context.Response.Headers.RetryAfter = ToRetryAfterSeconds(retryAfter);
        }

        switch (fault.Kind)
        {
            case LocalKeyVaultFaultKind.Hang:
                entry.Record(statusCode: null);
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                break;

            case LocalKeyVaultFaultKind.DropConnection:
                entry.Record(statusCode: null);
                context.Abort();
                break;

            case LocalKeyVaultFaultKind.MalformedBody:
                await entry.RespondAsync(context, 200, KeyVaultJson.Malformed(), cancellationToken).ConfigureAwait(false);
                break;

            case LocalKeyVaultFaultKind.Disabled:
                await entry.ErrorAsync(context, 403, "Forbidden", $"Operation {operation} is not allowed on a disabled secret.", cancellationToken, "SecretDisabled").ConfigureAwait(false);
                break;

            default:
                if (fault.StatusCode == 401)
                {
                    context.Response.Headers.WWWAuthenticate = entry.Handler._challenge;
                }

                (string code, string message, string? innerCode) = DescribeStatus(fault.StatusCode, secretName);
                await entry.ErrorAsync(context, fault.StatusCode, code, message, cancellationToken, innerCode).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>What is known about the request so far; recorded in the request log just before the answer is sent.</summary>
    private sealed record Entry(KeyVaultRequestHandler Handler, DateTimeOffset Arrived, string Method, string? VaultName, string? VaultHost, SecretRoute Route, bool HasToken)
    {
        public LocalKeyVaultFault? Fault { get; init; }

        public void Record(int? statusCode)
        {
            Handler._server.Record(new LocalKeyVaultRequest(Arrived, Method, VaultName, VaultHost, Route.Name, Route.Version, statusCode, HasToken, Fault));
            if (Handler._logger.IsEnabled(LogLevel.Debug))
            {
                LocalKeyVaultLog.Request(
                    Handler._logger,
                    Method,
                    VaultName,
                    Route.Name,
                    Route.Version ?? "latest",
                    statusCode?.ToString(CultureInfo.InvariantCulture) ?? "no response",
                    HasToken,
                    Fault?.ToString() ?? "none");
            }
        }

        public Task ErrorAsync(HttpContext context, int statusCode, string code, string message, CancellationToken cancellationToken, string? innerCode = null)
        {
            return RespondAsync(context, statusCode, KeyVaultJson.Error(code, message, innerCode), cancellationToken);
        }

        public async Task RespondAsync(HttpContext context, int statusCode, byte[]? body, CancellationToken cancellationToken)
        {
            Record(statusCode);
            HttpResponse response = context.Response;
            response.StatusCode = statusCode;
            if (body is null)
            {
                response.ContentLength = 0;
                return;
            }

            response.ContentType = KeyVaultJson.ContentType;
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }
    }
}
