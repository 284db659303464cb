using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>Answers one request the way the Key Vault secrets service would, applying the server's knobs and faults.</summary>
internal sealed class KeyVaultRequestHandler
{
    private const string BearerPrefix = "Bearer ";
    private const string ThrottledMessage = "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached";
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
        _challenge = $"Bearer authorization=\"https://login.microsoftonline.com/{server.TenantId}\", resource=\"https://vault.azure.net\"";
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

    private static string GetVaultAuthority(HttpRequest request, LocalVault vault)
    {
        string host = request.Headers[LocalVaultHeaders.VaultHost].ToString();
        return host.Length > 0 && Uri.TryCreate("https://" + host + "/", UriKind.Absolute, out Uri? uri) && uri.AbsolutePath == "/"
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

    private static string ToRetryAfterSeconds(TimeSpan delay)
    {
        long seconds = (long)Math.Ceiling(delay.TotalSeconds);
        return Math.Max(0, seconds).ToString(CultureInfo.InvariantCulture);
    }

    private async Task HandleCoreAsync(HttpContext context, CancellationToken cancellationToken)
    {
        HttpRequest request = context.Request;
        DateTimeOffset arrived = _server.TimeProvider.GetUtcNow();
        SecretRoute route = SecretRoute.Parse(request.Path);
        string vaultName = request.Headers[LocalVaultHeaders.VaultName].ToString();
        LocalVault? vault = LocalKeyVault.IsValidVaultName(vaultName) ? _server.Vault(vaultName) : null;
        bool hasToken = TryGetBearerToken(request, out string token);
        var entry = new Entry(this, arrived, request.Method, vault?.Name, route, hasToken);

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

        bool isGet = HttpMethods.IsGet(request.Method);
        bool isPut = HttpMethods.IsPut(request.Method) && route.Version is null;
        if (!route.IsSecret || !(isGet || isPut))
        {
            await entry.ErrorAsync(context, 400, "BadParameter", $"LocalKeyVault does not support {request.Method} {request.Path}.", cancellationToken).ConfigureAwait(false);
            return;
        }

        string secretName = route.Name!;
        if (vault.TakeFault(secretName) is { } fault)
        {
            await ApplyFaultAsync(context, entry with { Fault = fault }, fault, secretName, isGet ? "get" : "set", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (isGet)
        {
            await GetAsync(context, entry, vault, secretName, route.Version, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await PutAsync(context, entry, vault, secretName, cancellationToken).ConfigureAwait(false);
        }
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

    private static async Task GetAsync(HttpContext context, Entry entry, LocalVault vault, string secretName, string? version, CancellationToken cancellationToken)
    {
        SecretVersion? secret = LocalVault.IsValidSecretName(secretName) ? vault.FindSecret(secretName, version) : null;
        if (secret is null)
        {
            string id = version is null ? secretName : $"{secretName}/{version}";
            await entry.ErrorAsync(context, 404, "SecretNotFound", $"A secret with (name/id) {id} was not found in this key vault. {NotFoundHelp}", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!secret.Enabled)
        {
            await entry.ErrorAsync(context, 403, "Forbidden", "Operation get is not allowed on a disabled secret.", cancellationToken, "SecretDisabled").ConfigureAwait(false);
            return;
        }

        await entry.RespondAsync(context, 200, KeyVaultJson.Secret(secret, GetVaultAuthority(context.Request, vault)), cancellationToken).ConfigureAwait(false);
    }

    private static async Task PutAsync(HttpContext context, Entry entry, LocalVault vault, string secretName, CancellationToken cancellationToken)
    {
        if (!LocalVault.IsValidSecretName(secretName))
        {
            await entry.ErrorAsync(context, 400, "BadParameter", "The request URI contains an invalid name: " + secretName, cancellationToken).ConfigureAwait(false);
            return;
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            await entry.ErrorAsync(context, 400, "BadParameter", "The request body is not valid JSON.", cancellationToken).ConfigureAwait(false);
            return;
        }

        SecretVersion stored;
        using (body)
        {
            JsonElement root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("value", out JsonElement value)
                || value.ValueKind != JsonValueKind.String)
            {
                await entry.ErrorAsync(context, 400, "BadParameter", "Property value is required and must be a string.", cancellationToken).ConfigureAwait(false);
                return;
            }

            string? contentType = root.TryGetProperty("contentType", out JsonElement ct) && ct.ValueKind == JsonValueKind.String ? ct.GetString() : null;
            bool enabled = true;
            DateTimeOffset? notBefore = null;
            DateTimeOffset? expiresOn = null;
            if (root.TryGetProperty("attributes", out JsonElement attributes) && attributes.ValueKind == JsonValueKind.Object)
            {
                if (attributes.TryGetProperty("enabled", out JsonElement e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    enabled = e.GetBoolean();
                }

                notBefore = ReadUnixTime(attributes, "nbf");
                expiresOn = ReadUnixTime(attributes, "exp");
            }

            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("tags", out JsonElement tagElement) && tagElement.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty tag in tagElement.EnumerateObject())
                {
                    tags[tag.Name] = tag.Value.ValueKind == JsonValueKind.String ? tag.Value.GetString()! : tag.Value.GetRawText();
                }
            }

            stored = vault.AddVersion(secretName, value.GetString()!, contentType, enabled, notBefore, expiresOn, tags);
        }

        await entry.RespondAsync(context, 200, KeyVaultJson.Secret(stored, GetVaultAuthority(context.Request, vault)), cancellationToken).ConfigureAwait(false);
    }

    private static DateTimeOffset? ReadUnixTime(JsonElement attributes, string name)
    {
        return attributes.TryGetProperty(name, out JsonElement element) && element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out long seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
    }

    private static async Task ApplyFaultAsync(HttpContext context, Entry entry, LocalKeyVaultFault fault, string secretName, string operation, CancellationToken cancellationToken)
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
    private sealed record Entry(KeyVaultRequestHandler Handler, DateTimeOffset Arrived, string Method, string? VaultName, SecretRoute Route, bool HasToken)
    {
        public LocalKeyVaultFault? Fault { get; init; }

        public void Record(int? statusCode)
        {
            Handler._server.Record(new LocalKeyVaultRequest(Arrived, Method, VaultName, Route.Name, Route.Version, statusCode, HasToken, Fault));
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

        public async Task RespondAsync(HttpContext context, int statusCode, byte[] body, CancellationToken cancellationToken)
        {
            Record(statusCode);
            HttpResponse response = context.Response;
            response.StatusCode = statusCode;
            response.ContentType = KeyVaultJson.ContentType;
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }
    }
}
