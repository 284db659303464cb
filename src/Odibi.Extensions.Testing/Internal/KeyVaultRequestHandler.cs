using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Odibi.Extensions.Testing.Internal.Operations;
using Odibi.Extensions.Testing.Internal.Proxy;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>Answers one request the way the Key Vault secrets service would, applying the server's knobs and faults.</summary>
internal sealed partial class KeyVaultRequestHandler
{
    private const string BearerPrefix = "Bearer ";
    private const string ThrottledMessage = "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached";
    private const string ServiceVersion = "1.9.713.1";

    /// <summary>The operations this server answers: a request goes to the one whose <see cref="ISecretOperation.Operation"/> its route names.</summary>
    private static readonly ISecretOperation[] s_operations =
    [
        new GetSecret(),
        new SetSecret(),
        new UpdateSecret(),
        new DeleteSecret(),
        new ListSecrets(),
        new ListVersions(),
        new BackupSecret(),
        new RestoreSecret(),
        new GetDeletedSecret(),
        new ListDeletedSecrets(),
        new PurgeDeletedSecret(),
        new RecoverDeletedSecret(),
    ];

    private readonly LocalKeyVault _server;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly string _challenge;

    public KeyVaultRequestHandler(LocalKeyVault server, ILogger logger, CancellationToken stopping)
    {
        _server = server;
        _logger = logger;
        _stopping = stopping;
        _challenge = Challenge("https://vault.azure.net");
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

    /// <summary>The service's bearer challenge: the tenant's authority and the resource of the vault's cloud.</summary>
    private string Challenge(string resource) => $"Bearer authorization=\"https://login.windows.net/{_server.TenantId}\", resource=\"{resource}\"";

    /// <summary>The challenge for a request: the resource of the cloud its tunnel is for, or Key Vault's public one.</summary>
    private string ChallengeFor(HttpContext context) =>
        context.Features.Get<VaultTunnelFeature>() is { } tunnel ? Challenge(tunnel.Resource) : _challenge;

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

    private static ISecretOperation? FindOperation(SecretOperation routed)
    {
        foreach (ISecretOperation operation in s_operations)
        {
            if (operation.Operation == routed)
            {
                return operation;
            }
        }

        return null;
    }

    private async Task HandleCoreAsync(HttpContext context, CancellationToken cancellationToken)
    {
        HttpRequest request = context.Request;
        DateTimeOffset arrived = _server.TimeProvider.GetUtcNow();
        SecretRoute route = SecretRoute.Parse(request.Method, request.Path);
        // Through the proxy the tunnel names the vault; in process the routing policy's headers do.
        VaultTunnelFeature? tunnel = context.Features.Get<VaultTunnelFeature>();
        string vaultName = tunnel?.VaultName ?? request.Headers[LocalVaultHeaders.VaultName].ToString();
        LocalVault? vault = LocalKeyVault.IsValidVaultName(vaultName) ? _server.FindVault(vaultName) : null;
        bool hasToken = TryGetBearerToken(request, out string token);
        string vaultHost = tunnel?.Authority ?? request.Headers[LocalVaultHeaders.VaultHost].ToString();
        string challenge = ChallengeFor(context);
        var entry = new RequestEntry(_server, _logger, arrived, request.Method, vault?.Name, vaultHost.Length > 0 ? vaultHost : null, route, hasToken);

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

        if (ApiVersions.Check(request.Query["api-version"].ToString()) is { } badVersion)
        {
            await entry.ErrorAsync(context, 400, "BadParameter", badVersion, cancellationToken).ConfigureAwait(false);
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
            context.Response.Headers.WWWAuthenticate = challenge;
            await entry.ErrorAsync(context, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", cancellationToken).ConfigureAwait(false);
            return;
        }

        vault.CountSecretRequest();
        _server.CountSecretRequest();

        if (_server.ClaimsChallenge?.Invoke(token) is { } claims)
        {
            context.Response.Headers.WWWAuthenticate =
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", " +
                $"error=\"insufficient_claims\", claims=\"{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(claims))}\"";
            await entry.ErrorAsync(context, 401, "Unauthorized", "The token needs more claims (LocalKeyVault.ClaimsChallenge): ask the credential for a token with the challenge's claims.", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_server.ValidateToken is { } validate && !validate(token))
        {
            context.Response.Headers.WWWAuthenticate = challenge;
            await entry.ErrorAsync(context, 401, "Unauthorized", "AKV10032: The bearer token was rejected by LocalKeyVault.ValidateToken.", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (rateLimit is not null && await ThrottleAsync(context, entry, vault, rateLimit, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (route.Operation == SecretOperation.MethodNotAllowed)
        {
            await entry.ErrorAsync(context, 405, "MethodNotAllowed", $"HTTP {request.Method} not allowed", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (FindOperation(route.Operation) is not { } operation)
        {
            await entry.ErrorAsync(context, 400, "BadParameter", $"LocalKeyVault does not support {request.Method} {request.Path}: it answers the Key Vault secrets API (/secrets, /deletedsecrets).", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (vault.TakeFault(route.Name) is { } fault)
        {
            await ApplyFaultAsync(context, entry with { Fault = fault }, fault, route.Name, operation.Verb, cancellationToken).ConfigureAwait(false);
            return;
        }

        var secretRequest = new SecretRequest(context, entry, vault.Store, route, GetVaultAuthority(entry.VaultHost, vault));
        await operation.HandleAsync(secretRequest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes a place in the vault's rate-limit window, or answers 429 as the service does and returns <see langword="true"/>.</summary>
    private async Task<bool> ThrottleAsync(HttpContext context, RequestEntry entry, LocalVault vault, LocalKeyVaultRateLimit rateLimit, CancellationToken cancellationToken)
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
}
