using System.Text.RegularExpressions;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// The <c>api-version</c> check the service makes on every request: a missing one, or one the service does not know, is a
/// 400 <c>BadParameter</c>. The service's text for an unknown version is known ("The specified version (x) is not
/// recognized. Consider using the latest supported version (y)."); the text for a missing one is inferred from it.
/// Known: the numbered versions (2015-06-01, 2016-10-01, 7.0 to 7.6 and their previews) and every dated version from
/// 2025 on, which newer SDKs send before this list could name them.
/// </summary>
internal static partial class ApiVersions
{
    /// <summary>The newest version the server knows, named in its errors.</summary>
    public const string Latest = "2026-04-01";

    private static readonly HashSet<string> s_known = new(StringComparer.Ordinal)
    {
        "2015-06-01", "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6",
    };

    /// <summary>Gets the error message for <paramref name="apiVersion"/>, or <see langword="null"/> when the service accepts it.</summary>
    public static string? Check(string? apiVersion)
    {
        if (string.IsNullOrEmpty(apiVersion))
        {
            return $"The api-version query parameter is missing. Consider using the latest supported version ({Latest}).";
        }

        return s_known.Contains(apiVersion) || Preview().IsMatch(apiVersion) || Dated().IsMatch(apiVersion)
            ? null
            : $"The specified version ({apiVersion}) is not recognized. Consider using the latest supported version ({Latest}).";
    }

    [GeneratedRegex(@"^7\.[0-9]+-preview(\.[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Preview();

    [GeneratedRegex(@"^20(2[5-9]|[3-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(-preview(\.[0-9]+)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dated();
}
