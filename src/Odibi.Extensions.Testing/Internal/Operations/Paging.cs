using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary>
/// The paging of a list request, as the service pages: <c>maxresults</c> (1 to 25, default 25), the skip token (the
/// key after which the page starts) and absolute <c>nextLink</c>s.
/// </summary>
internal sealed record Paging(int? MaxResults, string? After, string ApiVersion)
{
    /// <summary>The 400 <c>BadParameter</c> message when <see cref="Read"/> finds the paging invalid.</summary>
    public const string InvalidMessage = "maxresults must be a number from 1 to 25, and $skiptoken must come from a nextLink.";

    private const int MaxPageSize = 25;
    private const string DefaultApiVersion = "7.4";

    /// <summary>Reads <c>maxresults</c>, <c>$skiptoken</c> and <c>api-version</c>; <see langword="null"/> if <c>maxresults</c> or <c>$skiptoken</c> is invalid.</summary>
    public static Paging? Read(IQueryCollection query)
    {
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

    /// <summary>Takes the items after <see cref="After"/>, one page of them; <paramref name="nextKey"/> is the last key taken when more remain.</summary>
    public List<T> Page<T>(List<T> sorted, Func<T, string> key, out string? nextKey)
    {
        IEnumerable<T> remaining = After is null ? sorted : sorted.Where(item => string.CompareOrdinal(key(item), After) > 0);
        List<T> page = [.. remaining.Take((MaxResults ?? MaxPageSize) + 1)];
        if (page.Count > (MaxResults ?? MaxPageSize))
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
    public string? NextLink(string authority, string path, string? nextKey)
    {
        if (nextKey is null)
        {
            return null;
        }

        var vault = new Uri("https://" + authority + "/");
        string token = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nextKey));
        string link = $"https://{vault.IdnHost}:{vault.Port.ToString(CultureInfo.InvariantCulture)}/{path}?api-version={Uri.EscapeDataString(ApiVersion)}&$skiptoken={token}";
        return MaxResults is int max ? link + "&maxresults=" + max.ToString(CultureInfo.InvariantCulture) : link;
    }
}
