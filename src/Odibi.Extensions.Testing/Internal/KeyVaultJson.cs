using System.Buffers;
using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>Writes the Key Vault secrets response bodies.</summary>
internal static class KeyVaultJson
{
    public const string ContentType = "application/json; charset=utf-8";

    public static byte[] Secret(SecretVersion secret, string vaultAuthority)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("value", secret.Value);
            if (secret.ContentType is not null)
            {
                json.WriteString("contentType", secret.ContentType);
            }

            json.WriteString("id", $"https://{vaultAuthority}/secrets/{secret.Name}/{secret.Version}");
            json.WriteStartObject("attributes");
            json.WriteBoolean("enabled", secret.Enabled);
            if (secret.NotBefore is DateTimeOffset notBefore)
            {
                json.WriteNumber("nbf", notBefore.ToUnixTimeSeconds());
            }

            if (secret.ExpiresOn is DateTimeOffset expiresOn)
            {
                json.WriteNumber("exp", expiresOn.ToUnixTimeSeconds());
            }

            json.WriteNumber("created", secret.Created.ToUnixTimeSeconds());
            json.WriteNumber("updated", secret.Updated.ToUnixTimeSeconds());
            json.WriteString("recoveryLevel", "Recoverable+Purgeable");
            json.WriteNumber("recoverableDays", 90);
            json.WriteEndObject();
            if (secret.Tags.Count > 0)
            {
                json.WriteStartObject("tags");
                foreach (KeyValuePair<string, string> tag in secret.Tags)
                {
                    json.WriteString(tag.Key, tag.Value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Error(string code, string message, string? innerCode = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            if (innerCode is not null)
            {
                json.WriteStartObject("innererror");
                json.WriteString("code", innerCode);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A body that starts like a secret but is cut off: a client's JSON parser must reject it.</summary>
    public static byte[] Malformed() => "{\"value\":\"local-key-vault-malformed-bo"u8.ToArray();
}
