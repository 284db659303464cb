using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary>The <c>attributes</c> object of a set or update request.</summary>
internal readonly struct SecretAttributes
{
    public SecretAttributes(JsonElement root)
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
