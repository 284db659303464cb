using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>
/// Sends each request on the proxy's port where it belongs: requests in a vault tunnel to the Key Vault handler, plain
/// ones to the identity endpoint or the admin API, and anything else back with what the port is for.
/// </summary>
internal sealed class ProxyRequestRouter(KeyVaultRequestHandler vaults, IdentityEndpoint identity, AdminApi admin, Func<Uri> endpoint)
{
    public Task HandleAsync(HttpContext context)
    {
        if (context.Features.Get<VaultTunnelFeature>() is not null)
        {
            return vaults.HandleAsync(context);
        }

        string rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        if (rawTarget.StartsWith("http:", StringComparison.OrdinalIgnoreCase) || rawTarget.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
        {
            return TextAsync(context, 403, $"LocalKeyVault proxies only HTTPS to Key Vault hosts ({KeyVaultHosts.Describe()}), through CONNECT; it does not forward {rawTarget}. Set HTTPS_PROXY (not HTTP_PROXY) to {endpoint()} and add other hosts to NO_PROXY.");
        }

        PathString path = context.Request.Path;
        if (path.Equals(IdentityEndpoint.Path, StringComparison.OrdinalIgnoreCase))
        {
            return identity.HandleAsync(context);
        }

        if (path.StartsWithSegments(AdminApi.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return admin.HandleAsync(context);
        }

        Uri root = endpoint();
        return TextAsync(context, 404, $"This is LocalKeyVault. Reach a vault at its real URL (https://<vault>.vault.azure.net/) with HTTPS_PROXY={root} and NO_PROXY=127.0.0.1,localhost; the identity endpoint is IDENTITY_ENDPOINT={new Uri(root, IdentityEndpoint.Path)}; the admin API is {new Uri(root, AdminApi.Prefix + "/")}.");
    }

    private static Task TextAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}
