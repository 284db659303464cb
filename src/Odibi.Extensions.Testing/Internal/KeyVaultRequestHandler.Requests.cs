using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal;

// KeyVaultRequestHandler, continued. What an operation reads from a request: its JSON body, tags and attributes.
internal sealed partial class KeyVaultRequestHandler
{
    /// <summary>Reads the JSON object body, or answers 400 and returns <see langword="null"/>.</summary>
    private static async Task<JsonDocument?> ReadBodyAsync(Operation op)
    {
        JsonDocument? body = null;
        try
        {
            body = await JsonDocument.ParseAsync(op.Context.Request.Body, cancellationToken: op.CancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
        }

        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object)
        {
            body?.Dispose();
            await BadParameterAsync(op, "The request body is not a valid JSON object.").ConfigureAwait(false);
            return null;
        }

        return body;
    }

    private static Task BadParameterAsync(Operation op, string message) =>
        op.Entry.ErrorAsync(op.Context, 400, "BadParameter", message, op.CancellationToken);

    private static string? ReadString(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement element) && element.ValueKind == JsonValueKind.String ? element.GetString() : null;

    private static Dictionary<string, string> ReadTags(JsonElement root)
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

    /// <summary>A Unix-time attribute of a request: whether it was sent, and its value (<see langword="null"/> for JSON null).</summary>
    private readonly record struct OptionalTime(bool Present, DateTimeOffset? Value);

    /// <summary>The <c>attributes</c> object of a set or update request.</summary>
    private readonly struct Attributes
    {
        public Attributes(JsonElement root)
        {
            if (root.TryGetProperty("attributes", out JsonElement attributes) && attributes.ValueKind == JsonValueKind.Object)
            {
                Enabled = attributes.TryGetProperty("enabled", out JsonElement e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
                NotBefore = Read(attributes, "nbf");
                ExpiresOn = Read(attributes, "exp");
            }
        }

        public bool? Enabled { get; }

        public OptionalTime NotBefore { get; }

        public OptionalTime ExpiresOn { get; }

        private static OptionalTime Read(JsonElement attributes, string name)
        {
            if (!attributes.TryGetProperty(name, out JsonElement element))
            {
                return default;
            }

            return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out long seconds)
                ? new OptionalTime(true, DateTimeOffset.FromUnixTimeSeconds(seconds))
                : new OptionalTime(true, null);
        }
    }
}
