using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// The backup blob of a secret: every version as JSON behind a marker, base64url-encoded (clients decode the blob to
/// bytes and send it back encoded again). Opaque to clients, like the service's, and readable only by LocalKeyVault.
/// It holds the secret values, as a real backup does.
/// </summary>
internal static class SecretBackup
{
    private static readonly byte[] s_marker = "LocalKeyVaultSecretBackup1\n"u8.ToArray();

    public static string Write(IReadOnlyList<SecretVersion> versions)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        buffer.Write(s_marker);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", versions[0].Name);
            json.WriteStartArray("versions");
            foreach (SecretVersion version in versions)
            {
                json.WriteStartObject();
                json.WriteString("version", version.Version);
                json.WriteString("value", version.Value);
                if (version.ContentType is not null)
                {
                    json.WriteString("contentType", version.ContentType);
                }

                json.WriteBoolean("enabled", version.Enabled);
                WriteTime(json, "nbf", version.NotBefore);
                WriteTime(json, "exp", version.ExpiresOn);
                WriteTime(json, "created", version.Created);
                WriteTime(json, "updated", version.Updated);
                json.WriteStartObject("tags");
                foreach (KeyValuePair<string, string> tag in version.Tags)
                {
                    json.WriteString(tag.Key, tag.Value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.WrittenSpan);
    }

    /// <summary>Reads a blob written by <see cref="Write"/>; <see langword="null"/> if it is not one.</summary>
    public static List<SecretVersion>? TryRead(string blob)
    {
        try
        {
            byte[] bytes = Base64Url.DecodeFromChars(blob);
            if (!bytes.AsSpan().StartsWith(s_marker))
            {
                return null;
            }

            using JsonDocument document = JsonDocument.Parse(bytes.AsMemory(s_marker.Length));
            JsonElement root = document.RootElement;
            string name = root.GetProperty("name").GetString()!;
            var versions = new List<SecretVersion>();
            foreach (JsonElement item in root.GetProperty("versions").EnumerateArray())
            {
                var tags = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (JsonProperty tag in item.GetProperty("tags").EnumerateObject())
                {
                    tags[tag.Name] = tag.Value.GetString()!;
                }

                versions.Add(new SecretVersion(
                    name,
                    item.GetProperty("version").GetString()!,
                    item.GetProperty("value").GetString()!,
                    item.TryGetProperty("contentType", out JsonElement contentType) ? contentType.GetString() : null,
                    item.GetProperty("enabled").GetBoolean(),
                    ReadTime(item, "nbf"),
                    ReadTime(item, "exp"),
                    ReadTime(item, "created")!.Value,
                    ReadTime(item, "updated")!.Value,
                    tags));
            }

            return versions.Count > 0 && SecretStore.IsValidSecretName(name) ? versions : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is DateTimeOffset value)
        {
            json.WriteNumber(name, value.ToUnixTimeSeconds());
        }
    }

    private static DateTimeOffset? ReadTime(JsonElement item, string name) =>
        item.TryGetProperty(name, out JsonElement value) ? DateTimeOffset.FromUnixTimeSeconds(value.GetInt64()) : null;
}
