using System.Text.Json;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>
/// The seed file: <c>{"vaults": {"orders-kv": {"db-password": "value", "api-key": {"value": "…", "enabled": false,
/// "contentType": "text/plain", "tags": {"env": "dev"}}}}}</c>. Each vault named is created; each secret gets a version.
/// </summary>
internal static class SeedFile
{
    /// <summary>Reads the file and applies it to <paramref name="server"/>; returns the vault names it created or filled.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON of that shape; the message names the file and the member.</exception>
    public static IReadOnlyList<string> Apply(string path, LocalKeyVault server)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            throw new InvalidDataException($"The seed file {path} does not read: {ex.Message} Fix the --seed path.", ex);
        }

        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return Apply(document.RootElement, server, path);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The seed file {path} is not JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Applies a parsed seed document (also what <c>POST /_admin/seed</c> takes).</summary>
    public static IReadOnlyList<string> Apply(JsonElement root, LocalKeyVault server, string source)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("vaults", out JsonElement vaults) || vaults.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{source}: expected {{\"vaults\": {{\"<vault>\": {{\"<secret>\": \"<value>\"}}}}}}.");
        }

        var names = new List<string>();
        foreach (JsonProperty vault in vaults.EnumerateObject())
        {
            if (!LocalKeyVault.IsValidVaultName(vault.Name) || vault.Value.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{source}: vaults.{vault.Name} must be a vault name (letters, digits, dashes) whose value is an object of secrets.");
            }

            LocalVault local = server.Vault(vault.Name);
            foreach (JsonProperty secret in vault.Value.EnumerateObject())
            {
                SetSecret(local, secret.Name, secret.Value, $"{source}: vaults.{vault.Name}.{secret.Name}");
            }

            names.Add(local.Name);
        }

        return names;
    }

    /// <summary>Sets a secret from a string, or from <c>{"value", "enabled", "contentType", "tags"}</c>; returns the new version.</summary>
    public static string SetSecret(LocalVault vault, string name, JsonElement value, string where)
    {
        if (!SecretStore.IsValidSecretName(name))
        {
            throw new InvalidDataException($"{where}: a secret name is 1 to 127 letters, digits and dashes.");
        }

        try
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                return vault.SetSecret(name, value.GetString()!);
            }

            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("value", out JsonElement secretValue) || secretValue.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{where}: expected a string, or an object with a string \"value\" (and optional \"enabled\", \"contentType\", \"tags\").");
            }

            bool enabled = !value.TryGetProperty("enabled", out JsonElement e) || e.ValueKind != JsonValueKind.False;
            string? contentType = value.TryGetProperty("contentType", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            Dictionary<string, string>? tags = null;
            if (value.TryGetProperty("tags", out JsonElement t) && t.ValueKind == JsonValueKind.Object)
            {
                tags = t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal);
            }

            return vault.SetSecret(name, secretValue.GetString()!, enabled, contentType: contentType, tags: tags);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"{where}: {ex.Message}", ex);
        }
    }
}
