using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Odibi.Extensions.Internal;

/// <summary>
/// Reads the <c>Odibi</c> section into <see cref="OdibiOptions"/>. Unlike the configuration binder, it never throws:
/// a value that cannot be converted, or a setting that does not exist (a typo), becomes a binding error that the
/// validator reports together with every other problem, naming the setting path and the fix.
/// </summary>
internal static class OdibiConfigurationReader
{
    internal static readonly string[] ConnectionKeys = [.. ConnectionSetting.All.Select(s => s.Name)];

    internal static readonly string[] PrefetchKeys =
    [
        nameof(PrefetchOptions.Policy), nameof(PrefetchOptions.MaxConcurrency), nameof(PrefetchOptions.FetchTimeout),
        nameof(PrefetchOptions.StartupTimeout), nameof(PrefetchOptions.VerifyStorage),
    ];

    internal static readonly string[] RefreshKeys = [nameof(RefreshOptions.Interval)];

    /// <summary>The keys Microsoft.Extensions.Azure reads from a credential section.</summary>
    internal static readonly string[] CredentialKeys =
    [
        "credential", "clientId", "tenantId", "clientSecret", "clientCertificate", "clientCertificateStoreName",
        "clientCertificateStoreLocation", "additionallyAllowedTenants", "managedIdentityClientId", "managedIdentityObjectId",
        "managedIdentityResourceId", "tokenFilePath", "azureCloud", "serviceConnectionId", "systemAccessToken",
    ];

    /// <summary>The values Microsoft.Extensions.Azure accepts for <c>credential</c>.</summary>
    internal static readonly string[] CredentialKinds = ["managedidentity", "workloadidentity", "managedidentityasfederatedidentity", "azurepipelines"];

    internal static readonly string[] RootKeys =
    [
        "Credential", nameof(OdibiOptions.Connections), nameof(OdibiOptions.Prefetch), nameof(OdibiOptions.Refresh),
        nameof(OdibiOptions.RejectDirectKeyInProduction),
    ];

    /// <summary>Picks the <c>Odibi</c> child of a configuration root, or the section itself when it has no such child.</summary>
    public static IConfiguration SelectSection(IConfiguration configuration)
    {
        var child = configuration.GetSection(OdibiOptions.SectionName);
        if (child.Exists() || configuration is not IConfigurationSection)
        {
            return child;
        }

        return configuration;
    }

    /// <summary>Reads <paramref name="section"/> into <paramref name="options"/>, collecting every problem as a binding error.</summary>
    /// <param name="section">The <c>Odibi</c> section.</param>
    /// <param name="options">The options to fill.</param>
    /// <param name="root">
    /// The configuration root the section comes from, when known: lets the reader find the settings of every connection
    /// in one pass over each provider, so reading N connections takes linear time. Without it, listing each connection's
    /// settings walks every key of the configuration (quadratic for thousands of connections).
    /// </param>
    public static void Read(IConfiguration section, OdibiOptions options, IConfigurationRoot? root = null)
    {
        var rootPath = PathOf(section);
        options.ConfigurationPath = rootPath;
        var errors = options.BindingErrors;

        RejectUnknown(section, rootPath, RootKeys, errors);
        RejectScalar(section, rootPath, nameof(OdibiOptions.Prefetch), nameof(PrefetchOptions.Policy), errors);
        RejectScalar(section, rootPath, nameof(OdibiOptions.Refresh), nameof(RefreshOptions.Interval), errors);
        RejectScalar(section, rootPath, "Credential", "credential", errors);
        ReadCredential(section.GetSection("Credential"), $"{rootPath}:Credential", errors);

        if (TryBool(section, rootPath, nameof(OdibiOptions.RejectDirectKeyInProduction), errors) is { } reject)
        {
            options.RejectDirectKeyInProduction = reject;
        }

        ReadPrefetch(section.GetSection(nameof(OdibiOptions.Prefetch)), options.Prefetch, $"{rootPath}:{nameof(OdibiOptions.Prefetch)}", errors);

        var refresh = section.GetSection(nameof(OdibiOptions.Refresh));
        var refreshPath = $"{rootPath}:{nameof(OdibiOptions.Refresh)}";
        RejectUnknown(refresh, refreshPath, RefreshKeys, errors);
        if (TryTimeSpan(refresh, refreshPath, nameof(RefreshOptions.Interval), errors) is { } interval)
        {
            options.Refresh.Interval = interval;
        }

        var connections = section.GetSection(nameof(OdibiOptions.Connections));
        if (IsList(connections))
        {
            // In JSON an array's items become connections named "0", "1", … which nothing would ever ask for.
            errors.Add($"{rootPath}:{nameof(OdibiOptions.Connections)} is a list (a JSON array), so its connections have no names: " +
                       $"write it as an object keyed by connection name, e.g. \"Connections\": {{ \"bronze\": {{ \"Account\": …, \"Container\": …, \"AuthMode\": … }} }}.");
            return;
        }

        var settingCounts = root is null ? null : CountSettings(root, connections.Path);
        foreach (var child in connections.GetChildren())
        {
            var path = $"{rootPath}:{nameof(OdibiOptions.Connections)}:{child.Key}";
            if (child.Value is { Length: > 0 })
            {
                errors.Add($"{path} is a single value, not a connection: give it settings such as {path}:Account, {path}:Container and {path}:AuthMode.");
                continue;
            }

            if (!options.Connections.TryGetValue(child.Key, out var connection))
            {
                connection = new AdlsConnectionOptions();
                options.Connections[child.Key] = connection;
            }

            ReadConnection(child, connection, path, settingCounts?.GetValueOrDefault(child.Key), errors);
        }
    }

    /// <summary>Reports a single value where a section belongs (<c>"Prefetch": "Degrade"</c>), without echoing it.</summary>
    private static void RejectScalar(IConfiguration section, string root, string key, string example, List<string> errors)
    {
        if (section.GetSection(key).Value is { Length: > 0 })
        {
            errors.Add($"{root}:{key} is a single value, not a section: write it as {root}:{key}:{example} (in JSON, \"{key}\": {{ \"{example}\": … }}).");
        }
    }

    /// <summary>
    /// Checks <c>Odibi:Credential</c> as Microsoft.Extensions.Azure reads it: known keys only, and a known credential kind
    /// (a typo would silently fall back to <c>DefaultAzureCredential</c>). Never echoes a value but the kind.
    /// </summary>
    private static void ReadCredential(IConfigurationSection section, string path, List<string> errors)
    {
        RejectUnknown(section, path, CredentialKeys, errors);
        var kind = Text(section, "credential")?.Trim();
        if (kind is not null && !CredentialKinds.Contains(kind, StringComparer.OrdinalIgnoreCase))
        {
            var suggestion = Closest(kind, CredentialKinds);
            var hint = suggestion is null ? "" : $"did you mean '{suggestion}'? ";
            errors.Add($"{path}:credential '{kind}' is not a credential kind: {hint}Use one of {string.Join(", ", CredentialKinds)}, " +
                       "or leave it out (tenantId, clientId and clientSecret or clientCertificate give a service principal; nothing gives DefaultAzureCredential).");
        }
    }

    private static void ReadPrefetch(IConfigurationSection section, PrefetchOptions prefetch, string path, List<string> errors)
    {
        RejectUnknown(section, path, PrefetchKeys, errors);
        if (TryEnum<PrefetchPolicy>(section, path, nameof(PrefetchOptions.Policy), errors) is { } policy)
        {
            prefetch.Policy = policy;
        }

        var concurrency = section[nameof(PrefetchOptions.MaxConcurrency)];
        if (!string.IsNullOrWhiteSpace(concurrency))
        {
            if (int.TryParse(concurrency, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                prefetch.MaxConcurrency = value;
            }
            else
            {
                errors.Add($"{path}:{nameof(PrefetchOptions.MaxConcurrency)} '{concurrency}' is not a whole number: use a positive integer such as 64.");
            }
        }

        if (TryTimeSpan(section, path, nameof(PrefetchOptions.FetchTimeout), errors) is { } fetchTimeout)
        {
            prefetch.FetchTimeout = fetchTimeout;
        }

        if (TryTimeSpan(section, path, nameof(PrefetchOptions.StartupTimeout), errors) is { } startupTimeout)
        {
            prefetch.StartupTimeout = startupTimeout;
        }

        if (TryBool(section, path, nameof(PrefetchOptions.VerifyStorage), errors) is { } verify)
        {
            prefetch.VerifyStorage = verify;
        }
    }

    /// <summary>
    /// Counts the settings (leaf keys) under each connection in one pass over each provider: a provider lists the next
    /// path segment of every key below a path, once per key. Keys set by several providers are counted more than once,
    /// which only sends that connection to the full check.
    /// </summary>
    private static Dictionary<string, int> CountSettings(IConfigurationRoot root, string connectionsPath)
    {
        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in root.Providers)
        {
            foreach (var name in provider.GetChildKeys([], connectionsPath))
            {
                counts[name] = counts.GetValueOrDefault(name) + 1;
            }
        }

        return counts;
    }

    private static void ReadConnection(IConfigurationSection section, AdlsConnectionOptions connection, string path, int? settingCount, List<string> errors)
    {
        // Listing a section's children walks every key of the configuration; when each setting found is a known one
        // (as many known keys have a value as there are settings), there is nothing unknown to look for.
        if (settingCount is not { } count || count != ConnectionKeys.Count(key => section[key] is not null))
        {
            RejectUnknown(section, path, ConnectionKeys, errors);
        }

        foreach (var setting in ConnectionSetting.All)
        {
            if (setting.Set is { } set && Text(section, setting.Name) is { } value)
            {
                set(connection, value);
            }
        }

        if (TryBool(section, path, nameof(AdlsConnectionOptions.Optional), errors) is { } optional)
        {
            connection.Optional = optional;
        }

        if (Text(section, nameof(AdlsConnectionOptions.AuthMode)) is null)
        {
            errors.Add($"{path}:{nameof(AdlsConnectionOptions.AuthMode)} is missing: set it to one of {Names<AdlsAuthMode>()}.");
            connection.AuthModeUnreadable = true;
        }
        else if (TryEnum<AdlsAuthMode>(section, path, nameof(AdlsConnectionOptions.AuthMode), errors) is { } mode)
        {
            connection.AuthMode = mode;
            connection.AuthModeUnreadable = false;
        }
        else
        {
            connection.AuthModeUnreadable = true;
        }
    }

    private static string? Text(IConfiguration section, string key) =>
        section[key] is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static bool? TryBool(IConfiguration section, string path, string key, List<string> errors)
    {
        var text = Text(section, key);
        if (text is null)
        {
            return null;
        }

        if (bool.TryParse(text.Trim(), out var value))
        {
            return value;
        }

        errors.Add($"{path}:{key} '{text}' is not a boolean: use true or false.");
        return null;
    }

    /// <summary>A time span setting, written hh:mm:ss; a bare number (which TimeSpan reads as days) or bad text adds an error naming the path.</summary>
    internal static TimeSpan? TryTimeSpan(IConfiguration section, string path, string key, List<string> errors)
    {
        var text = Text(section, key)?.Trim();
        if (text is null)
        {
            return null;
        }

        // TimeSpan.Parse reads a bare number as days: "30" would silently mean a month.
        if (text.All(char.IsAsciiDigit))
        {
            errors.Add($"{path}:{key} '{text}' has no unit (TimeSpan reads it as {text} days): write it as hh:mm:ss, e.g. 00:00:30 for 30 seconds.");
            return null;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"{path}:{key} '{text}' is not a time span: write it as hh:mm:ss, e.g. 00:00:30 for 30 seconds.");
        return null;
    }

    private static TEnum? TryEnum<TEnum>(IConfiguration section, string path, string key, List<string> errors)
        where TEnum : struct, Enum
    {
        var text = Text(section, key);
        if (text is null)
        {
            return null;
        }

        // Accept the names case-insensitively, and the snake_case spellings of the Python original ("key_vault").
        var normalized = text.Trim().Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        foreach (var value in Enum.GetValues<TEnum>())
        {
            if (string.Equals(value.ToString(), normalized, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        errors.Add($"{path}:{key} '{text}' is not valid: use one of {Names<TEnum>()}.");
        return null;
    }

    private static void RejectUnknown(IConfiguration section, string path, string[] known, List<string> errors)
    {
        if (IsList(section))
        {
            errors.Add($"{path} is a list (a JSON array), not a section of named settings: write it as an object, " +
                       $"e.g. {{ \"{known[0]}\": … }}; the settings here are {string.Join(", ", known)}.");
            return;
        }

        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var suggestion = Closest(child.Key, known);
                var hint = suggestion is null ? "" : $"did you mean '{suggestion}'? ";
                errors.Add($"{path}:{child.Key} is not a known setting: {hint}Known settings here: {string.Join(", ", known)}.");
            }
        }
    }

    /// <summary>Whether a section holds a JSON array: its children are named 0, 1, 2, … and nothing else.</summary>
    private static bool IsList(IConfiguration section)
    {
        var index = 0;
        foreach (var child in section.GetChildren())
        {
            if (child.Key != index.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }

            index++;
        }

        return index > 0;
    }

    internal static string Names<TEnum>()
        where TEnum : struct, Enum => string.Join(", ", Enum.GetNames<TEnum>());

    private static string PathOf(IConfiguration section) =>
        section is IConfigurationSection { Path.Length: > 0 } s ? s.Path : OdibiOptions.SectionName;

    private static string? Closest(string key, string[] known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return bestDistance <= Math.Max(2, key.Length / 4) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
