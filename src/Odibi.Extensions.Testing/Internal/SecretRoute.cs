using Microsoft.AspNetCore.Http;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>The secret addressed by a request path: <c>/secrets/{name}</c> or <c>/secrets/{name}/{version}</c> (a trailing slash allowed).</summary>
internal readonly record struct SecretRoute(string? Name, string? Version)
{
    public bool IsSecret => Name is not null;

    public static SecretRoute Parse(PathString path)
    {
        string[] segments = (path.Value ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is < 2 or > 3 || !string.Equals(segments[0], "secrets", StringComparison.OrdinalIgnoreCase))
        {
            return default;
        }

        return new SecretRoute(segments[1], segments.Length == 3 ? segments[2] : null);
    }
}
