using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Odibi.Extensions.Testing.Internal;

// KeyVaultRequestHandler, continued. Paging of the list operations: <c>maxresults</c>, the skip token and absolute <c>nextLink</c>s, as the service pages.
internal sealed partial class KeyVaultRequestHandler
{
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

    private sealed record Paging(int? MaxResults, string? After, string ApiVersion);
}
