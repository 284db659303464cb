using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal;

/// <summary>
/// Writes the Key Vault secrets response bodies as the service does: compact JSON, keys in the service's order
/// (value, contentType, id, attributes, tags), unset members left out rather than <c>null</c>, times as integer Unix
/// seconds, and <c>+</c> and <c>&amp;</c> unescaped.
/// </summary>
internal static class KeyVaultJson
{
    public const string ContentType = "application/json; charset=utf-8";

    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A SecretBundle: with <c>value</c> for get and set, without it for update, recover and restore.</summary>
    public static byte[] Secret(SecretVersion secret, string vaultAuthority, RecoverySettings recovery, bool includeValue)
    {
        return Write(json =>
        {
            json.WriteStartObject();
            if (includeValue)
            {
                json.WriteString("value", secret.Value);
            }

            WriteProperties(json, secret, Id(vaultAuthority, secret, withVersion: true), recovery);
            json.WriteEndObject();
        });
    }

    /// <summary>A DeletedSecretBundle: the deletion, then the latest version's properties, never the value.</summary>
    public static byte[] DeletedSecret(DeletedSecretSnapshot deleted, string vaultAuthority, RecoverySettings recovery)
    {
        return Write(json => WriteDeleted(json, deleted, vaultAuthority, recovery, withVersion: true));
    }

    /// <summary>A page of secret items (ids without version, sorted by name) or version items (ids with version).</summary>
    public static byte[] SecretPage(IEnumerable<SecretVersion> items, string vaultAuthority, RecoverySettings recovery, bool withVersion, string? nextLink)
    {
        return Page(nextLink, json =>
        {
            foreach (SecretVersion item in items)
            {
                json.WriteStartObject();
                WriteProperties(json, item, Id(vaultAuthority, item, withVersion), recovery);
                json.WriteEndObject();
            }
        });
    }

    /// <summary>A page of deleted secret items.</summary>
    public static byte[] DeletedPage(IEnumerable<DeletedSecretSnapshot> items, string vaultAuthority, RecoverySettings recovery, string? nextLink)
    {
        return Page(nextLink, json =>
        {
            foreach (DeletedSecretSnapshot item in items)
            {
                WriteDeleted(json, item, vaultAuthority, recovery, withVersion: false);
            }
        });
    }

    /// <summary>A BackupSecretResult: <c>{"value":"&lt;blob&gt;"}</c>.</summary>
    public static byte[] Backup(string blob)
    {
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("value", blob);
            json.WriteEndObject();
        });
    }

    public static byte[] Error(string code, string message, string? innerCode = null)
    {
        return Write(json =>
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
        });
    }

    /// <summary>A body that starts like a secret but is cut off: a client's JSON parser must reject it.</summary>
    public static byte[] Malformed() => "{\"value\":\"local-key-vault-malformed-bo"u8.ToArray();

    private static string Id(string vaultAuthority, SecretVersion secret, bool withVersion) =>
        withVersion ? $"https://{vaultAuthority}/secrets/{secret.Name}/{secret.Version}" : $"https://{vaultAuthority}/secrets/{secret.Name}";

    private static void WriteDeleted(Utf8JsonWriter json, DeletedSecretSnapshot deleted, string vaultAuthority, RecoverySettings recovery, bool withVersion)
    {
        json.WriteStartObject();
        json.WriteString("recoveryId", $"https://{vaultAuthority}/deletedsecrets/{deleted.Latest.Name}");
        json.WriteNumber("deletedDate", deleted.Deletion.DeletedOn.ToUnixTimeSeconds());
        json.WriteNumber("scheduledPurgeDate", deleted.Deletion.ScheduledPurge.ToUnixTimeSeconds());
        WriteProperties(json, deleted.Latest, Id(vaultAuthority, deleted.Latest, withVersion), recovery);
        json.WriteEndObject();
    }

    /// <summary>Writes contentType, id, attributes and tags, in the service's order.</summary>
    private static void WriteProperties(Utf8JsonWriter json, SecretVersion secret, string id, RecoverySettings recovery)
    {
        if (secret.ContentType is not null)
        {
            json.WriteString("contentType", secret.ContentType);
        }

        json.WriteString("id", id);
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
        json.WriteString("recoveryLevel", recovery.RecoveryLevel);
        json.WriteNumber("recoverableDays", recovery.RecoverableDays);
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
    }

    private static byte[] Page(string? nextLink, Action<Utf8JsonWriter> writeItems)
    {
        return Write(json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("value");
            writeItems(json);
            json.WriteEndArray();
            if (nextLink is null)
            {
                json.WriteNull("nextLink");
            }
            else
            {
                json.WriteString("nextLink", nextLink);
            }

            json.WriteEndObject();
        });
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, s_options))
        {
            write(json);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
