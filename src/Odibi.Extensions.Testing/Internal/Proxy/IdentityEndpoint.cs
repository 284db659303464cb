using System.Globalization;
using System.Text.Json;
using Azure.Core;
using Microsoft.AspNetCore.Http;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>
/// A managed-identity token endpoint in the App Service style, which <c>DefaultAzureCredential</c> and
/// <c>ManagedIdentityCredential</c> of every Azure SDK use when <c>IDENTITY_ENDPOINT</c> and <c>IDENTITY_HEADER</c> are
/// set: <c>GET {endpoint}?resource={resource}&amp;api-version=2019-08-01</c> with the header <c>X-IDENTITY-HEADER</c>.
/// Each token comes from the server's <see cref="CountingTokenCredential"/>, so it is counted (and can be made slow or
/// failing) as for .NET clients.
/// </summary>
internal sealed class IdentityEndpoint(CountingTokenCredential credential, string identityHeader)
{
    public const string Path = "/msi/token";
    public const string ApiVersion = "2019-08-01";
    private const string HeaderName = "X-IDENTITY-HEADER";
    private const string ClientId = "10ca1ca1-7e57-4000-8000-00000000c11e";

    public async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!HttpMethods.IsGet(request.Method))
        {
            await ErrorAsync(context, 405, "invalid_request", $"The identity endpoint answers GET {Path}?resource=...&api-version={ApiVersion}.").ConfigureAwait(false);
            return;
        }

        if (request.Headers[HeaderName].ToString() != identityHeader)
        {
            await ErrorAsync(context, 401, "invalid_request", $"The {HeaderName} header is missing or wrong: set IDENTITY_HEADER to the value LocalKeyVault printed at start (its --identity-header).").ConfigureAwait(false);
            return;
        }

        if (request.Query["api-version"].ToString() != ApiVersion)
        {
            await ErrorAsync(context, 400, "invalid_request", $"The identity endpoint needs api-version={ApiVersion} (App Service managed identity): set IDENTITY_ENDPOINT and IDENTITY_HEADER, not MSI_ENDPOINT or IMDS_ENDPOINT.").ConfigureAwait(false);
            return;
        }

        string resource = request.Query["resource"].ToString();
        if (resource.Length == 0)
        {
            await ErrorAsync(context, 400, "invalid_request", "The query has no resource, e.g. resource=https://vault.azure.net.").ConfigureAwait(false);
            return;
        }

        AccessToken token;
        try
        {
            string scope = resource.EndsWith("/.default", StringComparison.Ordinal) ? resource : resource.TrimEnd('/') + "/.default";
            token = await credential.GetTokenAsync(new TokenRequestContext([scope]), context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await ErrorAsync(context, 500, "unknown_error", $"The token was refused (a fault set with POST /_admin/identity): {ex.Message}").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("access_token", token.Token);
        json.WriteString("expires_on", token.ExpiresOn.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        json.WriteString("resource", resource);
        json.WriteString("token_type", "Bearer");
        json.WriteString("client_id", ClientId);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ErrorAsync(HttpContext context, int status, string error, string description)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("error", error);
        json.WriteString("error_description", description);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}

