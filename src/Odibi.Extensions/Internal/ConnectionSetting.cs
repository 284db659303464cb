namespace Odibi.Extensions.Internal;

/// <summary>
/// One setting of a connection (<c>Odibi:Connections:&lt;name&gt;:&lt;setting&gt;</c>), described once: the reader reads
/// every setting listed here, the validator refuses a setting in a mode it does nothing in (with <see cref="Unused"/> as
/// the fix), and tests check that the JSON schema, the options class and docs/configuration.md list exactly these.
/// </summary>
/// <param name="Name">The setting's key, as in configuration.</param>
/// <param name="Modes">The auth modes the setting does something in.</param>
/// <param name="Get">Reads the setting from options (<see langword="null"/> when unset), to refuse it where unused.</param>
/// <param name="Set">Stores a text value read from configuration; <see langword="null"/> when the reader parses it itself.</param>
/// <param name="Unused">The fix when the setting is given in a mode that does not use it.</param>
internal sealed record ConnectionSetting(
    string Name,
    AdlsAuthMode[] Modes,
    Func<AdlsConnectionOptions, string?> Get,
    Action<AdlsConnectionOptions, string>? Set,
    Func<AdlsAuthMode, string> Unused)
{
    private static readonly AdlsAuthMode[] Every = Enum.GetValues<AdlsAuthMode>();
    private static readonly AdlsAuthMode[] WithVault = [AdlsAuthMode.KeyVault, AdlsAuthMode.SasToken, AdlsAuthMode.ServicePrincipal];

    /// <summary>Gets every connection setting, in the order the docs list them.</summary>
    public static IReadOnlyList<ConnectionSetting> All { get; } =
    [
        new(nameof(AdlsConnectionOptions.Account), Every, o => o.Account, (o, v) => o.Account = v, NotRefused),
        new(nameof(AdlsConnectionOptions.Container), Every, o => o.Container, (o, v) => o.Container = v, NotRefused),
        new(nameof(AdlsConnectionOptions.PathPrefix), Every, o => o.PathPrefix, (o, v) => o.PathPrefix = v, NotRefused),
        new(nameof(AdlsConnectionOptions.AuthMode), Every, _ => null, null, NotRefused),
        new(nameof(AdlsConnectionOptions.AccountKey), [AdlsAuthMode.DirectKey], o => o.AccountKey, (o, v) => o.AccountKey = v, mode => mode == AdlsAuthMode.KeyVault
            ? "the key comes from Key Vault; remove AccountKey, or use AuthMode DirectKey for development"
            : "only AuthMode DirectKey takes an inline account key; remove AccountKey, or use AuthMode DirectKey for development"),
        new(nameof(AdlsConnectionOptions.SasToken), [AdlsAuthMode.SasToken], o => o.SasToken, (o, v) => o.SasToken = v, _ => "use AuthMode SasToken for a SAS token"),
        new(nameof(AdlsConnectionOptions.KeyVaultName), WithVault, o => o.KeyVaultName, (o, v) => o.KeyVaultName = v, VaultUnused),
        new(nameof(AdlsConnectionOptions.SecretName), WithVault, o => o.SecretName, (o, v) => o.SecretName = v, VaultUnused),
        new(nameof(AdlsConnectionOptions.SecretVersion), WithVault, o => o.SecretVersion, (o, v) => o.SecretVersion = v, VaultUnused),
        new(nameof(AdlsConnectionOptions.KeyVaultDnsSuffix), WithVault, o => o.KeyVaultDnsSuffix, (o, v) => o.KeyVaultDnsSuffix = v, VaultUnused),
        new(nameof(AdlsConnectionOptions.TenantId), [AdlsAuthMode.ServicePrincipal], o => o.TenantId, (o, v) => o.TenantId = v,
            _ => "only a service principal names its tenant (a managed identity's is the host's); remove TenantId, or use AuthMode ServicePrincipal"),
        new(nameof(AdlsConnectionOptions.ClientId), [AdlsAuthMode.ServicePrincipal, AdlsAuthMode.ManagedIdentity], o => o.ClientId, (o, v) => o.ClientId = v,
            _ => "ClientId names a service principal or a user-assigned managed identity, which this mode does not sign in with; remove it (the vault is read with Odibi:Credential)"),
        new(nameof(AdlsConnectionOptions.ClientSecret), [AdlsAuthMode.ServicePrincipal], o => o.ClientSecret, (o, v) => o.ClientSecret = v,
            _ => "use AuthMode ServicePrincipal for a client secret"),
        new(nameof(AdlsConnectionOptions.EndpointSuffix), Every, o => o.EndpointSuffix, (o, v) => o.EndpointSuffix = v, NotRefused),
        new(nameof(AdlsConnectionOptions.BlobServiceUri), Every, o => o.BlobServiceUri, (o, v) => o.BlobServiceUri = v, NotRefused),
        new(nameof(AdlsConnectionOptions.Optional), Every, _ => null, null, NotRefused),
    ];

    private static string NotRefused(AdlsAuthMode mode) => "";

    private static string VaultUnused(AdlsAuthMode mode) => mode switch
    {
        AdlsAuthMode.DirectKey => "DirectKey reads no secret from Key Vault; use AuthMode KeyVault to take the key from the vault",
        _ => "a managed identity needs no secret",
    };
}
