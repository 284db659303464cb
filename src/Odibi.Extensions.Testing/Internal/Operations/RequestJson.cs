using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary>Reads what an operation takes from a request body: the JSON object, its strings and its tags.</summary>
internal static class RequestJson
{
    /// <summary>Reads the JSON object body, or answers 400 and returns <see langword="null"/>.</summary>
    public static async Task<JsonDocument?> ReadObjectAsync(SecretRequest request, CancellationToken cancellationToken)
    {
        JsonDocument? body = null;
        try
        {
            body = await JsonDocument.ParseAsync(request.Context.Request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
        }

        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
        {
            body?.Dispose();
            await request.BadParameterAsync("The request body is not a valid JSON object.", cancellationToken).ConfigureAwait(false);
            return null;
        }

        return body;
    }

    public static string? ReadString(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement element) && element.ValueKind == JsonValueKind.String ? element.GetString() : null;

    public static Dictionary<string, string> ReadTags(JsonElement root)
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
}
