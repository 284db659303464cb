using System.Buffers.Text;
using System.Text.Json;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Reads the tenant an access token was issued in: the <c>tid</c> claim of a Microsoft Entra ID token (a JWT). Only to
/// tell whether a token the credential already gave for its own tenant is the one it would give for a tenant a
/// challenge names; nothing is trusted on it, and a token that is not a JWT names no tenant.
/// </summary>
internal static class TokenTenant
{
    /// <summary>The most characters of a token's payload read; an Entra ID token's is a few kilobytes.</summary>
    private const int MaxPayloadChars = 64 * 1024;

    /// <summary>Whether <paramref name="accessToken"/> was issued in <paramref name="tenantId"/> (a GUID compared as one, any other name ignoring case).</summary>
    public static bool IsIn(string? accessToken, string tenantId) =>
        Of(accessToken) is { } tid
        && (Guid.TryParse(tid, out var a) && Guid.TryParse(tenantId, out var b)
            ? a == b
            : string.Equals(tid, tenantId, StringComparison.OrdinalIgnoreCase));

    /// <summary>The <c>tid</c> claim of a JWT, or <see langword="null"/> when the token is not one or names no tenant.</summary>
    public static string? Of(string? accessToken)
    {
        if (string.IsNullOrEmpty(accessToken))
        {
            return null;
        }

        var start = accessToken.IndexOf('.', StringComparison.Ordinal) + 1;
        var end = start > 0 ? accessToken.IndexOf('.', start) : -1;
        if (end <= start || end - start > MaxPayloadChars)
        {
            return null;
        }

        var payload = accessToken.AsSpan(start, end - start);
        var bytes = new byte[Base64Url.GetMaxDecodedLength(payload.Length)];
        if (Base64Url.DecodeFromChars(payload, bytes, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(0, written));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTenant = reader.ValueTextEquals("tid"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isTenant)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }

            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or a tid that is not valid UTF-8
        }
    }
}
