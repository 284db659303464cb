using Odibi.Extensions.Internal;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions;

/// <summary>
/// A named storage connection: where the data lives and how to authenticate. Get it from <see cref="IAdlsConnections"/>.
/// Thread-safe. Never prints its secret.
/// </summary>
public sealed class AdlsConnection
{
    private const string DefaultEndpointSuffix = "core.windows.net";
    private const string DefaultVaultSuffix = "vault.azure.net";

    private readonly ISecretSource _secrets;
    private readonly string? _inlineSecret;
    private readonly string _endpointSuffix;
    private volatile StatusRecord _status;

    internal AdlsConnection(string name, AdlsConnectionOptions options, ISecretSource secrets)
    {
        _secrets = secrets;
        Name = name;
        Account = options.Account;
        Container = options.Container;
        PathPrefix = (options.PathPrefix ?? "").Trim('/');
        AuthMode = options.AuthMode;
        Optional = options.Optional;
        TenantId = options.TenantId;
        ClientId = options.ClientId;
        _endpointSuffix = options.EndpointSuffix ?? DefaultEndpointSuffix;

        _inlineSecret = options.AuthMode switch
        {
            AdlsAuthMode.DirectKey => options.AccountKey,
            AdlsAuthMode.SasToken => options.SasToken?.TrimStart('?'),
            AdlsAuthMode.ServicePrincipal => options.ClientSecret,
            _ => null,
        };

        if (options.AuthMode != AdlsAuthMode.DirectKey && options.AuthMode != AdlsAuthMode.ManagedIdentity && _inlineSecret is null && options.KeyVaultName is not null)
        {
            KeyVaultUri = ResolveVaultUri(options.KeyVaultName, options.KeyVaultDnsSuffix);
            SecretName = options.SecretName;
            SecretVersion = options.SecretVersion;
        }

        DfsEndpoint = new Uri($"https://{Account}.dfs.{_endpointSuffix}/");
        BlobEndpoint = options.BlobServiceUri is { } blob ? new Uri(blob) : new Uri($"https://{Account}.blob.{_endpointSuffix}/");

        // Inline secrets and DirectKey need nothing fetched; Key Vault secrets and identities wait for the prefetch.
        _status = new StatusRecord(_inlineSecret is not null && AuthMode != AdlsAuthMode.ServicePrincipal ? ConnectionStatus.Ready : ConnectionStatus.Pending, null, null);
    }

    /// <summary>Gets the connection name, as under <c>Odibi:Connections</c>.</summary>
    public string Name { get; }

    /// <summary>Gets the storage account name.</summary>
    public string Account { get; }

    /// <summary>Gets the container (file system) name.</summary>
    public string Container { get; }

    /// <summary>Gets the folder inside the container, without leading or trailing <c>/</c>; empty for the container root.</summary>
    public string PathPrefix { get; }

    /// <summary>Gets how the connection authenticates.</summary>
    public AdlsAuthMode AuthMode { get; }

    /// <summary>Gets the vault that holds the connection's secret, or <see langword="null"/> when no secret comes from Key Vault.</summary>
    public Uri? KeyVaultUri { get; }

    /// <summary>Gets the name of the Key Vault secret, or <see langword="null"/> when no secret comes from Key Vault.</summary>
    public string? SecretName { get; }

    /// <summary>Gets a value indicating whether a failure of this connection degrades the app instead of stopping it.</summary>
    public bool Optional { get; }

    /// <summary>Gets the state of the connection's secret or token.</summary>
    public ConnectionStatus Status => _status.Status;

    /// <summary>Gets the Data Lake (DFS) endpoint of the account, e.g. <c>https://account.dfs.core.windows.net/</c>.</summary>
    public Uri DfsEndpoint { get; }

    /// <summary>Gets the blob endpoint of the account, or the configured <c>BlobServiceUri</c>.</summary>
    public Uri BlobEndpoint { get; }

    internal string? SecretVersion { get; }

    internal string? TenantId { get; }

    internal string? ClientId { get; }

    internal string EndpointSuffix => _endpointSuffix;

    internal bool HasKeyVaultSecret => KeyVaultUri is not null;

    internal Exception? LastError => _status.Error;

    internal TimeSpan? LastDuration => _status.Duration;

    /// <summary>Gets the <c>abfss://</c> URI of a path in the connection's container, under its <see cref="PathPrefix"/>.</summary>
    /// <param name="path">A path relative to the prefix; a leading <c>/</c> is ignored. Empty gives the prefix folder itself, ending in <c>/</c>.</param>
    /// <returns>For example <c>abfss://bronze@account.dfs.core.windows.net/raw/ingestion/file.parquet</c>.</returns>
    public string GetUri(string path = "")
    {
        ArgumentNullException.ThrowIfNull(path);
        var folder = PathPrefix.Length == 0 ? "" : PathPrefix + "/";
        return $"abfss://{Container}@{Account}.dfs.{_endpointSuffix}/{folder}{path.TrimStart('/')}";
    }

    /// <summary>
    /// Gets the connection's secret: the account key (<see cref="AdlsAuthMode.KeyVault"/>, <see cref="AdlsAuthMode.DirectKey"/>),
    /// the SAS token without a leading <c>?</c> (<see cref="AdlsAuthMode.SasToken"/>), or the client secret
    /// (<see cref="AdlsAuthMode.ServicePrincipal"/>). A Key Vault secret is fetched once and cached; concurrent callers share one request.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The secret value. Do not log it.</returns>
    /// <exception cref="InvalidOperationException">The connection uses <see cref="AdlsAuthMode.ManagedIdentity"/> and has no secret.</exception>
    /// <exception cref="Azure.RequestFailedException">Key Vault refused the request.</exception>
    /// <exception cref="TimeoutException">Key Vault did not answer within <c>Odibi:Prefetch:FetchTimeout</c>.</exception>
    public ValueTask<string> GetStorageKeyAsync(CancellationToken cancellationToken = default)
    {
        if (_inlineSecret is not null)
        {
            return ValueTask.FromResult(_inlineSecret);
        }

        if (!HasKeyVaultSecret)
        {
            throw new InvalidOperationException(
                $"Connection '{Name}' uses AuthMode {AuthMode} and has no stored secret: authenticate with its identity (CreateBlobServiceClientAsync) instead.");
        }

        return _secrets.GetSecretAsync(this, cancellationToken);
    }

    /// <summary>
    /// Gets the Hadoop ABFS settings (<c>fs.azure.*</c> keys for <c>{account}.dfs.{suffix}</c>) that let Spark read and write
    /// through this connection. The values include the secret: hand them to Spark, never to a log.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a Key Vault secret.</param>
    /// <returns>The settings, by key.</returns>
    public async ValueTask<IReadOnlyDictionary<string, string>> GetSparkConfigurationAsync(CancellationToken cancellationToken = default)
    {
        var host = $"{Account}.dfs.{_endpointSuffix}";
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (AuthMode)
        {
            case AdlsAuthMode.KeyVault or AdlsAuthMode.DirectKey:
                settings[$"fs.azure.account.key.{host}"] = await GetStorageKeyAsync(cancellationToken).ConfigureAwait(false);
                break;

            case AdlsAuthMode.SasToken:
                settings[$"fs.azure.account.auth.type.{host}"] = "SAS";
                settings[$"fs.azure.sas.token.provider.type.{host}"] = "org.apache.hadoop.fs.azurebfs.sas.FixedSASTokenProvider";
                settings[$"fs.azure.sas.fixed.token.{host}"] = (await GetStorageKeyAsync(cancellationToken).ConfigureAwait(false)).TrimStart('?');
                break;

            case AdlsAuthMode.ServicePrincipal:
                settings[$"fs.azure.account.auth.type.{host}"] = "OAuth";
                settings[$"fs.azure.account.oauth.provider.type.{host}"] = "org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider";
                settings[$"fs.azure.account.oauth2.client.id.{host}"] = ClientId!;
                settings[$"fs.azure.account.oauth2.client.secret.{host}"] = await GetStorageKeyAsync(cancellationToken).ConfigureAwait(false);
                settings[$"fs.azure.account.oauth2.client.endpoint.{host}"] = $"https://{StorageCredentialFactory.AuthorityHost(_endpointSuffix).Host}/{TenantId}/oauth2/token";
                break;

            case AdlsAuthMode.ManagedIdentity:
                settings[$"fs.azure.account.auth.type.{host}"] = "OAuth";
                settings[$"fs.azure.account.oauth.provider.type.{host}"] = "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider";
                if (ClientId is not null)
                {
                    settings[$"fs.azure.account.oauth2.client.id.{host}"] = ClientId;
                }

                break;
        }

        return settings;
    }

    /// <summary>Describes the connection: name, mode, location, vault secret name and status. Never the secret.</summary>
    /// <returns>For example <c>bronze (KeyVault, abfss://bronze@account.dfs.core.windows.net/raw/, secret bronze-key in https://kv.vault.azure.net/, Ready)</c>.</returns>
    public override string ToString()
    {
        var secret = HasKeyVaultSecret ? $", secret {SecretName} in {KeyVaultUri}" : "";
        return $"{Name} ({AuthMode}, {GetUri()}{secret}, {Status})";
    }

    internal void SetStatus(ConnectionStatus status, TimeSpan? duration, Exception? error) =>
        _status = new StatusRecord(status, duration, error);

    internal static Uri ResolveVaultUri(string keyVaultName, string? dnsSuffix) =>
        keyVaultName.Contains("://", StringComparison.Ordinal)
            ? new Uri(new Uri(keyVaultName).GetLeftPart(UriPartial.Authority) + "/")
            : new Uri($"https://{keyVaultName.ToLowerInvariant()}.{dnsSuffix ?? DefaultVaultSuffix}/");

    private sealed record StatusRecord(ConnectionStatus Status, TimeSpan? Duration, Exception? Error);
}
