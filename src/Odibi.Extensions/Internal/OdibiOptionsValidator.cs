using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Internal;

/// <summary>
/// Checks every rule of the <c>Odibi</c> section and reports all problems at once, each naming the setting path, the
/// bad value (never a secret) and the fix.
/// </summary>
internal sealed partial class OdibiOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<OdibiOptions>
{
    private const string Mode = nameof(AdlsConnectionOptions.AuthMode);

    /// <summary>The longest timeout or interval a timer can wait (its limit is about 49.7 days).</summary>
    internal static readonly TimeSpan MaxWait = TimeSpan.FromDays(49);

    public ValidateOptionsResult Validate(string? name, OdibiOptions options)
    {
        var errors = new List<string>(options.BindingErrors);
        var root = options.ConfigurationPath;

        if (options.Connections.Count == 0 && options.BindingErrors.Count == 0)
        {
            errors.Add($"{root}:Connections has no connections: add at least one under {root}:Connections:<name> " +
                       "with Account, Container and AuthMode (check that the section name is 'Odibi' and the configuration file is loaded).");
        }

        foreach (var (connectionName, connection) in options.Connections)
        {
            var path = $"{root}:Connections:{connectionName}";
            if (connection is null)
            {
                errors.Add($"{path} is null: give it settings such as Account, Container and AuthMode, or remove it.");
                continue;
            }

            if (!ConnectionNameRegex().IsMatch(connectionName))
            {
                errors.Add($"{root}:Connections:'{connectionName}' is not a valid connection name: use 1-64 ASCII letters (a-z, A-Z), digits, '-', '_' or '.'.");
            }

            ValidateConnection(connection, path, options.RejectDirectKeyInProduction, errors);
        }

        ValidatePrefetch(options.Prefetch, $"{root}:Prefetch", errors);

        if (options.Refresh?.Interval is { } interval && (interval < TimeSpan.FromSeconds(1) || interval > MaxWait))
        {
            errors.Add($"{root}:Refresh:Interval '{interval}' is out of range: use 00:00:01 to 49.00:00:00, e.g. 01:00:00, or remove it to turn refresh off.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(Describe(root, Grouped(root, options, errors)));
    }

    /// <summary>
    /// The problems grouped by connection, in configuration order (the reader's and the rules' together), after the ones
    /// of the settings every connection shares; within a group, in the order they were found.
    /// </summary>
    private static List<string> Grouped(string root, OdibiOptions options, List<string> errors)
    {
        var prefix = $"{root}:Connections:";
        var order = options.Connections.Keys.Select((name, index) => (name, index)).ToDictionary(p => p.name, p => p.index, StringComparer.OrdinalIgnoreCase);
        int Group(string problem)
        {
            if (!problem.StartsWith(prefix, StringComparison.Ordinal))
            {
                return -1;
            }

            var rest = problem.AsSpan(prefix.Length).TrimStart('\'');
            var end = rest.IndexOfAny(":' ");
            var name = (end < 0 ? rest : rest[..end]).ToString();
            return order.TryGetValue(name, out var index) ? index : int.MaxValue;
        }

        return [.. errors.Distinct().OrderBy(Group)]; // OrderBy is stable
    }

    /// <summary>
    /// One failure with one problem per line: <see cref="OptionsValidationException.Message"/> joins failures on one
    /// line, so an app that lets the exception go unhandled would otherwise print every problem run together.
    /// </summary>
    internal static string Describe(string root, IReadOnlyList<string> problems)
    {
        var heading = problems.Count == 1 ? $"The {root} configuration has a problem:" : $"The {root} configuration has {problems.Count} problems:";
        return string.Join(Environment.NewLine, [heading, .. problems]);
    }

    private void ValidateConnection(AdlsConnectionOptions c, string path, bool rejectDirectKey, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(c.Account))
        {
            errors.Add($"{path}:Account is missing: set the storage account name (3-24 lowercase letters and digits).");
        }
        else if (!AccountRegex().IsMatch(c.Account))
        {
            errors.Add($"{path}:Account '{c.Account}' is not a valid storage account name: use 3-24 lowercase letters and digits.");
        }

        if (string.IsNullOrWhiteSpace(c.Container))
        {
            errors.Add($"{path}:Container is missing: set the container (file system) name.");
        }
        else if (!ContainerRegex().IsMatch(c.Container) || c.Container.Contains("--", StringComparison.Ordinal))
        {
            errors.Add($"{path}:Container '{c.Container}' is not a valid container name: use 3-63 lowercase letters, digits and " +
                       "hyphens, starting and ending with a letter or digit, with no '--'.");
        }

        var prefix = c.PathPrefix ?? "";
        if (prefix.Contains('\\', StringComparison.Ordinal) ||
            prefix.Split('/').Any(segment => segment is ".." or "."))
        {
            errors.Add($"{path}:PathPrefix '{prefix}' is not a valid folder: use '/' between folders, with no '\\', '.' or '..' segments.");
        }

        ValidateHostSuffix(c.EndpointSuffix, $"{path}:EndpointSuffix", "core.chinacloudapi.cn", errors);

        if (c.BlobServiceUri is not null &&
            (!Uri.TryCreate(c.BlobServiceUri, UriKind.Absolute, out var blobUri) || blobUri.Scheme is not ("https" or "http")))
        {
            errors.Add($"{path}:BlobServiceUri '{Printable(c.BlobServiceUri)}' is not an absolute http(s) URI: use e.g. https://{c.Account}.blob.core.windows.net/ or http://127.0.0.1:10000/devstoreaccount1.");
        }
        else if (c.BlobServiceUri is not null)
        {
            RejectUriExtras(c.BlobServiceUri, $"{path}:BlobServiceUri",
                "a blob endpoint carries no credentials: put a SAS token in SasToken (or in Key Vault) with AuthMode SasToken", errors);
        }

        if (c.AuthModeUnreadable)
        {
            return; // already reported; the rules of a guessed mode would only mislead
        }

        if (!Enum.IsDefined(c.AuthMode))
        {
            errors.Add($"{path}:{Mode} '{(int)c.AuthMode}' is not valid: use one of {OdibiConfigurationReader.Names<AdlsAuthMode>()}.");
            return;
        }

        if (c.AuthMode is AdlsAuthMode.ServicePrincipal or AdlsAuthMode.ManagedIdentity &&
            Uri.TryCreate(c.BlobServiceUri, UriKind.Absolute, out var plainUri) && plainUri.Scheme == "http")
        {
            errors.Add($"{path}:BlobServiceUri '{Printable(c.BlobServiceUri!)}' is http, but AuthMode {c.AuthMode} sends a bearer token, which is only " +
                       "sent over https: use an https endpoint, or a key or SAS mode for a local emulator such as Azurite.");
        }

        // A setting that does nothing in this mode is refused, with the fix: never silently ignored.
        foreach (var setting in ConnectionSetting.All)
        {
            if (!setting.Modes.Contains(c.AuthMode) && setting.Get(c) is not null)
            {
                errors.Add($"{path}:{setting.Name} is not used with AuthMode {c.AuthMode}: {setting.Unused(c.AuthMode)}.");
            }
        }

        var usesVault = c.KeyVaultName is not null || c.SecretName is not null;
        switch (c.AuthMode)
        {
            case AdlsAuthMode.KeyVault:
                RequireVault(c, path, "the account key", errors);
                break;

            case AdlsAuthMode.DirectKey:
                if (c.AccountKey is null)
                {
                    errors.Add($"{path}:AccountKey is missing: AuthMode DirectKey needs the account key inline (best from user secrets or " +
                               $"the environment variable {path.Replace(":", "__", StringComparison.Ordinal)}__AccountKey), or use AuthMode KeyVault.");
                }
                else if (!IsBase64(c.AccountKey))
                {
                    errors.Add($"{path}:AccountKey is not a valid account key (not base64): copy key1 or key2 from the storage account's Access keys.");
                }

                if (rejectDirectKey && environment?.IsProduction() == true)
                {
                    errors.Add($"{path}:{Mode} DirectKey is rejected in Production (RejectDirectKeyInProduction is true): " +
                               "store the key in Key Vault and use AuthMode KeyVault.");
                }

                break;

            case AdlsAuthMode.SasToken:
                if (c.SasToken is not null && usesVault)
                {
                    errors.Add($"{path}:SasToken is set and so is {(c.KeyVaultName is not null ? "KeyVaultName" : "SecretName")}: " +
                               "give the SAS token either inline (SasToken) or from Key Vault (KeyVaultName and SecretName), not both.");
                }
                else if (c.SasToken is not null)
                {
                    if (!c.SasToken.Contains("sig=", StringComparison.Ordinal))
                    {
                        errors.Add($"{path}:SasToken is not a SAS token (it has no 'sig=' signature): copy the whole query string of the generated SAS.");
                    }
                }
                else if (usesVault)
                {
                    RequireVault(c, path, "the SAS token", errors);
                }
                else
                {
                    errors.Add($"{path}:SasToken is missing: AuthMode SasToken needs SasToken inline, or KeyVaultName and SecretName to read it from Key Vault.");
                }

                break;

            case AdlsAuthMode.ServicePrincipal:
                if (c.TenantId is null)
                {
                    errors.Add($"{path}:TenantId is missing: AuthMode ServicePrincipal needs the Microsoft Entra tenant id (a GUID) or domain.");
                }
                else if (!Guid.TryParse(c.TenantId, out _) && !DomainRegex().IsMatch(c.TenantId))
                {
                    errors.Add($"{path}:TenantId '{c.TenantId}' is not a tenant id: use the directory (tenant) GUID or a domain such as contoso.onmicrosoft.com.");
                }

                if (c.ClientId is null)
                {
                    errors.Add($"{path}:ClientId is missing: AuthMode ServicePrincipal needs the application (client) id, a GUID.");
                }

                if (c.ClientSecret is not null && usesVault)
                {
                    errors.Add($"{path}:ClientSecret is set and so is {(c.KeyVaultName is not null ? "KeyVaultName" : "SecretName")}: " +
                               "give the client secret either inline (ClientSecret) or from Key Vault (KeyVaultName and SecretName), not both.");
                }
                else if (usesVault)
                {
                    RequireVault(c, path, "the client secret", errors);
                }
                else if (c.ClientSecret is null)
                {
                    errors.Add($"{path}:ClientSecret is missing: AuthMode ServicePrincipal needs ClientSecret inline, or KeyVaultName and SecretName to read it from Key Vault.");
                }

                break;
        }

        if (c.ClientId is not null && !Guid.TryParse(c.ClientId, out _))
        {
            errors.Add($"{path}:ClientId '{c.ClientId}' is not a client id: use the application (client) id GUID.");
        }
    }

    private static void RequireVault(AdlsConnectionOptions c, string path, string what, List<string> errors)
    {
        if (c.KeyVaultName is null)
        {
            errors.Add($"{path}:KeyVaultName is missing: set the name (or https:// URI) of the vault that holds {what}.");
        }
        else if (c.KeyVaultName.Contains("://", StringComparison.Ordinal))
        {
            // A URI with credentials, a query or a fragment is reported without the refused part, and only that.
            var refused = RejectUriExtras(c.KeyVaultName, $"{path}:KeyVaultName", "a vault URI carries no credentials; the vault is reached with the app's Azure credential", errors);
            if (!refused && (!Uri.TryCreate(c.KeyVaultName, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.AbsolutePath != "/"))
            {
                errors.Add($"{path}:KeyVaultName '{Printable(c.KeyVaultName)}' is not a vault URI: use https://<vault>.vault.azure.net/ or just the vault name.");
            }
            else if (!refused && c.KeyVaultDnsSuffix is not null)
            {
                errors.Add($"{path}:KeyVaultDnsSuffix is set but KeyVaultName is a full URI: remove KeyVaultDnsSuffix, or give only the vault name.");
            }
        }
        else if (!VaultNameRegex().IsMatch(c.KeyVaultName) || c.KeyVaultName.Contains("--", StringComparison.Ordinal))
        {
            errors.Add($"{path}:KeyVaultName '{Printable(c.KeyVaultName)}' is not a valid vault name: use 3-24 letters, digits and hyphens, " +
                       "starting with a letter, ending with a letter or digit, with no '--' (or give the vault's https:// URI).");
        }

        ValidateHostSuffix(c.KeyVaultDnsSuffix, $"{path}:KeyVaultDnsSuffix", "vault.azure.cn", errors);

        if (c.SecretName is null)
        {
            errors.Add($"{path}:SecretName is missing: set the name of the Key Vault secret that holds {what}.");
        }
        else if (!SecretNameRegex().IsMatch(c.SecretName))
        {
            errors.Add($"{path}:SecretName '{c.SecretName}' is not a valid secret name: use 1-127 letters, digits and hyphens.");
        }

        if (c.SecretVersion is not null && !SecretVersionRegex().IsMatch(c.SecretVersion))
        {
            errors.Add($"{path}:SecretVersion '{c.SecretVersion}' is not a secret version: use the 32-character hexadecimal version id, or remove it for the current version.");
        }
    }

    private static void ValidateHostSuffix(string? suffix, string path, string example, List<string> errors)
    {
        if (suffix is not null && !DomainRegex().IsMatch(suffix))
        {
            errors.Add($"{path} '{suffix}' is not a DNS suffix: use a host suffix without scheme or dots at the ends, e.g. {example}.");
        }
    }

    private static void ValidatePrefetch(PrefetchOptions? prefetch, string path, List<string> errors)
    {
        if (prefetch is null)
        {
            errors.Add($"{path} is null: remove the assignment to keep the defaults.");
            return;
        }

        if (!Enum.IsDefined(prefetch.Policy))
        {
            errors.Add($"{path}:Policy '{(int)prefetch.Policy}' is not valid: use one of {OdibiConfigurationReader.Names<PrefetchPolicy>()}.");
        }

        if (prefetch.MaxConcurrency is < 1 or > 4000)
        {
            errors.Add($"{path}:MaxConcurrency '{prefetch.MaxConcurrency}' is out of range: use 1 to 4000 requests in flight per vault (default 1024).");
        }

        ValidateTimeout(prefetch.FetchTimeout, $"{path}:FetchTimeout", "00:00:30", errors);
        ValidateTimeout(prefetch.StartupTimeout, $"{path}:StartupTimeout", "00:01:00", errors);
    }

    private static void ValidateTimeout(TimeSpan value, string path, string example, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{path} '{value}' must be positive: use e.g. {example}.");
        }
        else if (value > MaxWait)
        {
            errors.Add($"{path} '{value}' is too long: use at most 49.00:00:00 (the longest a timer waits), e.g. {example}.");
        }
    }

    /// <summary>
    /// Refuses user info (<c>user:password@</c>), a query (a SAS) or a fragment in a URI setting, naming only its scheme,
    /// host and path, never the refused part.
    /// </summary>
    /// <returns><see langword="true"/> when something was refused.</returns>
    private static bool RejectUriExtras(string raw, string path, string why, List<string> errors)
    {
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri))
        {
            return false;
        }

        var shown = Printable(raw);
        var found = false;
        if (uri.UserInfo.Length > 0)
        {
            errors.Add($"{path} '{shown}' has a user name or password before the host: remove it; {why}.");
            found = true;
        }

        if (uri.Query.Length > 0)
        {
            errors.Add($"{path} '{shown}' has a query: remove it (everything from '?'); {why}.");
            found = true;
        }

        if (uri.Fragment.Length > 0)
        {
            errors.Add($"{path} '{shown}' has a fragment: remove it (everything from '#').");
            found = true;
        }

        return found;
    }

    /// <summary>A URI setting as it may be printed: scheme, host, port and path only.</summary>
    internal static string Printable(string raw)
    {
        if (Uri.TryCreate(raw, UriKind.Absolute, out var uri) && uri.IsAbsoluteUri && uri.Host.Length > 0)
        {
            return uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        }

        var end = raw.IndexOfAny(['?', '#']);
        var text = end < 0 ? raw : raw[..end];
        var at = text.LastIndexOf('@');
        return at < 0 ? text : text[(at + 1)..];
    }

    private static bool IsBase64(string value)
    {
        Span<byte> buffer = stackalloc byte[256];
        return value.Length <= 344 && Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }

    [GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial Regex AccountRegex();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerRegex();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")]
    private static partial Regex VaultNameRegex();

    [GeneratedRegex("^[A-Za-z0-9-]{1,127}$")]
    private static partial Regex SecretNameRegex();

    [GeneratedRegex("^[0-9a-fA-F]{32}$")]
    private static partial Regex SecretVersionRegex();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ConnectionNameRegex();

    [GeneratedRegex(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")]
    private static partial Regex DomainRegex();
}
