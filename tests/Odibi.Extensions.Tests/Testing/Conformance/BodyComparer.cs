using System.Text.Json;
using System.Text.RegularExpressions;

namespace Odibi.Extensions.Tests.Testing.Conformance;

/// <summary>
/// Compares a JSON body with a recorded one: the same keys in the same order, the same value kinds, ids and links of
/// the same shape on this server's vault host, integer timestamps, and literally every other value (those the client
/// supplied, codes and messages). Array items are compared with the recorded first item.
/// </summary>
internal sealed partial class BodyComparer(string? recordedVault, string authority, bool laterPage, List<string> errors)
{
    private static readonly HashSet<string> s_serviceTimes = ["created", "updated", "deletedDate", "scheduledPurgeDate"];

    public void Compare(JsonElement expected, JsonElement actual, string path, bool inArray = false)
    {
        string key = path[(path.LastIndexOf('.') + 1)..];
        if (key == "nextLink")
        {
            CompareNextLink(expected, actual, path);
            return;
        }

        if (Kind(expected) != Kind(actual))
        {
            errors.Add($"{path}: expected {Kind(expected)}, got {Kind(actual)} ({actual.GetRawText()})");
            return;
        }

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                string[] expectedKeys = [.. expected.EnumerateObject().Select(p => p.Name)];
                string[] actualKeys = [.. actual.EnumerateObject().Select(p => p.Name)];
                if (!expectedKeys.SequenceEqual(actualKeys, StringComparer.Ordinal))
                {
                    errors.Add($"{path}: keys [{string.Join(',', expectedKeys)}] recorded, got [{string.Join(',', actualKeys)}]");
                }

                foreach (JsonProperty property in expected.EnumerateObject())
                {
                    if (actual.TryGetProperty(property.Name, out JsonElement value))
                    {
                        Compare(property.Value, value, $"{path}.{property.Name}", inArray);
                    }
                }

                break;

            case JsonValueKind.Array:
                int recorded = expected.GetArrayLength();
                if (recorded == 0 && actual.GetArrayLength() > 0 && !laterPage)
                {
                    errors.Add($"{path}: recorded empty, got {actual.GetArrayLength()} items");
                }

                if (recorded > 0)
                {
                    int index = 0;
                    foreach (JsonElement item in actual.EnumerateArray())
                    {
                        Compare(expected[0], item, $"{path}[{index++}]", inArray: true);
                    }
                }

                break;

            case JsonValueKind.String:
                CompareString(key, expected.GetString()!, actual.GetString()!, path, inArray);
                break;

            case JsonValueKind.Number:
                if (!expected.TryGetInt64(out long recordedNumber) || !actual.TryGetInt64(out long number))
                {
                    errors.Add($"{path}: expected an integer, got {actual.GetRawText()}");
                }
                else if (!s_serviceTimes.Contains(key) && recordedNumber != number)
                {
                    errors.Add($"{path}: recorded {recordedNumber}, got {number}");
                }

                break;

            case JsonValueKind.True or JsonValueKind.False:
                if (expected.GetBoolean() != actual.GetBoolean())
                {
                    errors.Add($"{path}: recorded {expected.GetBoolean()}, got {actual.GetBoolean()}");
                }

                break;
        }
    }

    private static string Kind(JsonElement element) => element.ValueKind is JsonValueKind.True or JsonValueKind.False ? "boolean" : element.ValueKind.ToString();

    private void CompareString(string key, string expected, string actual, string path, bool inArray)
    {
        if (key is "id" or "recoveryId")
        {
            // https://{vault host}/secrets/{name}[/{version}] on this server's host; the name literally unless it is
            // one item of a list, the version by shape.
            string recordedPath = ReplaceOrigin(expected)[$"https://{authority}".Length..];
            string[] segments = recordedPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            string pattern = "^" + Regex.Escape($"https://{authority}/{segments[0]}/")
                + (inArray ? "[^/]+" : Regex.Escape(segments[1]))
                + (segments.Length > 2 ? "/[0-9a-f]{32}" : string.Empty) + "$";
            if (!Regex.IsMatch(actual, pattern))
            {
                errors.Add($"{path}: '{actual}' is not shaped like the recorded '{expected}'");
            }

            return;
        }

        if (actual != expected)
        {
            errors.Add($"{path}: recorded '{expected}', got '{actual}'");
        }
    }

    private void CompareNextLink(JsonElement expected, JsonElement actual, string path)
    {
        if (actual.ValueKind == JsonValueKind.Null)
        {
            // The service ends a list with "nextLink": null; pages after the first may end sooner here, where no
            // deleted entries pad the index.
            if (expected.ValueKind == JsonValueKind.String && !laterPage)
            {
                errors.Add($"{path}: recorded a next link, got null");
            }

            return;
        }

        if (actual.ValueKind != JsonValueKind.String || expected.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            errors.Add($"{path}: expected a link or null, got {actual.GetRawText()}");
            return;
        }

        if (expected.ValueKind == JsonValueKind.Null && !laterPage)
        {
            errors.Add($"{path}: recorded null (the last page), got '{actual.GetString()}'");
            return;
        }

        // https://{host}:443/{path}?api-version={version}&$skiptoken={opaque}
        string link = actual.GetString()!;
        string host = authority.Split(':')[0];
        if (!Regex.IsMatch(link, "^" + Regex.Escape($"https://{host}:443/") + "(secrets|secrets/[^/]+/versions|deletedsecrets)\\?api-version=[0-9a-z.-]+&\\$skiptoken=[A-Za-z0-9_-]+$"))
        {
            errors.Add($"{path}: '{link}' is not shaped like the service's next links ('{expected}')");
        }
    }

    private string ReplaceOrigin(string recorded)
    {
        if (recordedVault is not null && recorded.StartsWith(recordedVault, StringComparison.OrdinalIgnoreCase))
        {
            return $"https://{authority}" + recorded[recordedVault.Length..];
        }

        var uri = new Uri(recorded);
        return $"https://{authority}{uri.AbsolutePath}";
    }
}
