using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Odibi.Extensions.Internal;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.Storage;

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
    private readonly BlobClientFactory _blobClients;
    private readonly string? _inlineSecret;
    private readonly string _endpointSuffix;
    private readonly bool _hasBlobServiceUri;
    private readonly ILogger _logger;
    private readonly Lazy<BlobServiceClient> _blobServiceClient;
    private StatusRecord _status;
    private int _checksRunning;

    internal AdlsConnection(string name, AdlsConnectionOptions options, ISecretSource secrets, BlobClientFactory blobClients, string root, ILogger logger, bool verifyStorage = false)
    {
        _secrets = secrets;
        _blobClients = blobClients;
        _logger = logger;
        _blobServiceClient = new Lazy<BlobServiceClient>(() => _blobClients.Create(this));
        SettingPath = $"{root}:Connections:{name}";
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
        BlobEndpoint = options.BlobServiceUri is { } blob
            ? new Uri(new Uri(blob).GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped))
            : new Uri($"https://{Account}.blob.{_endpointSuffix}/");
        _hasBlobServiceUri = options.BlobServiceUri is not null;

        // Inline secrets and DirectKey need nothing fetched; Key Vault secrets and identities wait for the prefetch, and
        // with VerifyStorage every connection waits for its storage check.
        var ready = _inlineSecret is not null && AuthMode != AdlsAuthMode.ServicePrincipal && !verifyStorage;
        _status = new StatusRecord(ready ? ConnectionStatus.Ready : ConnectionStatus.Pending, null);
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
    public ConnectionStatus Status => Volatile.Read(ref _status).Status;

    /// <summary>Gets the Data Lake (DFS) endpoint of the account, e.g. <c>https://account.dfs.core.windows.net/</c>.</summary>
    public Uri DfsEndpoint { get; }

    /// <summary>Gets the blob endpoint of the account, or the configured <c>BlobServiceUri</c>.</summary>
    public Uri BlobEndpoint { get; }

    internal string? SecretVersion { get; }

    /// <summary>Gets the configuration path of the connection, e.g. <c>Odibi:Connections:bronze</c>, for error messages.</summary>
    internal string SettingPath { get; }

    internal string? TenantId { get; }

    internal string? ClientId { get; }

    internal string EndpointSuffix => _endpointSuffix;

    internal bool HasKeyVaultSecret => KeyVaultUri is not null;

    /// <summary>
    /// Gets the outcome that set <see cref="Status"/> — from the startup prefetch, a background retry, a late success, a
    /// refresh or a failed health probe — or <see langword="null"/> before the first (and for a connection that needs
    /// nothing fetched). Its <see cref="KeyVaultFetchResult.Error"/> says why a connection is not <see cref="ConnectionStatus.Ready"/>.
    /// A health probe that passes, or a check overtaken by a newer one, leaves it as it is.
    /// </summary>
    public KeyVaultFetchResult? LastResult => Volatile.Read(ref _status).Result;

    /// <summary>Gets the secret given in configuration (DirectKey's key, an inline SAS or client secret), or <see langword="null"/>.</summary>
    internal string? InlineSecret => _inlineSecret;

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
    public ValueTask<string> GetStorageKeyAsync(CancellationToken cancellationToken = default) =>
        ReadStorageKeyAsync(async: true, cancellationToken);

    /// <summary>The synchronous form of <see cref="GetStorageKeyAsync"/>, for the synchronous Blob API: a read it starts runs on the calling thread.</summary>
    internal string GetStorageKey(CancellationToken cancellationToken) =>
        ReadStorageKeyAsync(async: false, cancellationToken).GetAwaiter().GetResult(); // completes on this thread

    private ValueTask<string> ReadStorageKeyAsync(bool async, CancellationToken cancellationToken)
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

        return _secrets.GetSecretAsync(this, async, cancellationToken);
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
                settings[$"fs.azure.sas.fixed.token.{host}"] = await GetStorageKeyAsync(cancellationToken).ConfigureAwait(false); // without a leading ?
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

    /// <summary>
    /// Gets the connection's <see cref="BlobServiceClient"/> for <see cref="BlobEndpoint"/>, authenticated for its mode: the
    /// account key (<see cref="AdlsAuthMode.KeyVault"/>, <see cref="AdlsAuthMode.DirectKey"/>), the SAS token
    /// (<see cref="AdlsAuthMode.SasToken"/>), or the identity credential the startup prefetch already got a token with
    /// (<see cref="AdlsAuthMode.ServicePrincipal"/>, <see cref="AdlsAuthMode.ManagedIdentity"/>). The client is created on the
    /// first call, without I/O, and the same instance is returned after; it is thread-safe. A Key Vault secret is read
    /// when a request is sent (shared with every other reader of it), so a request of a connection whose secret cannot be
    /// read fails with <see cref="InvalidOperationException"/> or <see cref="TimeoutException"/> naming the connection,
    /// vault, secret and fix. When storage refuses a key or SAS that came from Key Vault, the client reads the secret
    /// again once and retries, so a rotated key heals without a restart; a refusal that lasts backs off for minutes.
    /// The Blob API works on hierarchical-namespace (ADLS Gen2) accounts too.
    /// </summary>
    /// <param name="cancellationToken">Not used: creating the client does no I/O.</param>
    /// <returns>The client, shared by every caller.</returns>
    /// <exception cref="InvalidOperationException">An inline account key is not base64.</exception>
    public ValueTask<BlobServiceClient> CreateBlobServiceClientAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(CreateBlobServiceClient());

    /// <summary>Gets a client for the connection's <see cref="Container"/>, from <see cref="CreateBlobServiceClientAsync"/>.</summary>
    /// <param name="cancellationToken">Not used: creating the client does no I/O.</param>
    /// <returns>The container client. Blob names are not prefixed with <see cref="PathPrefix"/>: add it when naming blobs.</returns>
    /// <exception cref="InvalidOperationException">An inline account key is not base64.</exception>
    public ValueTask<BlobContainerClient> GetBlobContainerClientAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(GetBlobContainerClient());

    /// <summary>
    /// Gets an Azure Storage connection string for tools that take one. For <see cref="AdlsAuthMode.KeyVault"/> and
    /// <see cref="AdlsAuthMode.DirectKey"/>: <c>DefaultEndpointsProtocol</c>, <c>AccountName</c>, <c>AccountKey</c> and
    /// <c>EndpointSuffix</c> (or <c>BlobEndpoint</c> when <c>BlobServiceUri</c> is set); for <see cref="AdlsAuthMode.SasToken"/>:
    /// <c>BlobEndpoint</c> and <c>SharedAccessSignature</c>. It contains the secret: never log it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a Key Vault secret.</param>
    /// <returns>The connection string, holding the account key or SAS token.</returns>
    /// <exception cref="InvalidOperationException">The connection authenticates with an identity, which a connection string cannot carry; or its secret could not be read.</exception>
    /// <exception cref="TimeoutException">Key Vault did not answer within <c>Odibi:Prefetch:FetchTimeout</c>.</exception>
    public async ValueTask<string> GetConnectionStringAsync(CancellationToken cancellationToken = default)
    {
        if (AuthMode is AdlsAuthMode.ServicePrincipal or AdlsAuthMode.ManagedIdentity)
        {
            throw new InvalidOperationException(
                $"Connection '{Name}' uses AuthMode {AuthMode}: a connection string cannot carry an identity. Use CreateBlobServiceClientAsync, or a key or SAS mode.");
        }

        var secret = await GetStorageKeyAsync(cancellationToken).ConfigureAwait(false);
        var blobEndpoint = BlobEndpoint.ToString().TrimEnd('/');
        if (AuthMode == AdlsAuthMode.SasToken)
        {
            return $"BlobEndpoint={blobEndpoint};SharedAccessSignature={secret}";
        }

        var endpoints = _hasBlobServiceUri
            ? $"BlobEndpoint={blobEndpoint}"
            : $"EndpointSuffix={_endpointSuffix}";
        return $"DefaultEndpointsProtocol={BlobEndpoint.Scheme};AccountName={Account};AccountKey={secret};{endpoints}";
    }

    /// <summary>Describes the connection: name, mode, location, vault secret name and status. Never the secret.</summary>
    /// <returns>For example <c>bronze (KeyVault, abfss://bronze@account.dfs.core.windows.net/raw/, secret bronze-key in https://kv.vault.azure.net/, Ready)</c>.</returns>
    public override string ToString()
    {
        var secret = HasKeyVaultSecret ? $", secret {SecretName} in {KeyVaultUri}" : "";
        return $"{Name} ({AuthMode}, {GetUri()}{secret}, {Status})";
    }

    /// <summary>Gets (creating once, without I/O) the connection's <see cref="BlobServiceClient"/>.</summary>
    internal BlobServiceClient CreateBlobServiceClient() => _blobServiceClient.Value;

    /// <summary>Gets a client for the connection's <see cref="Container"/>, without I/O.</summary>
    internal BlobContainerClient GetBlobContainerClient() => CreateBlobServiceClient().GetBlobContainerClient(Container);

    /// <summary>
    /// Occurs after <see cref="Status"/> changed: the startup prefetch, a background retry, a late success, a refresh or a
    /// health probe moved it. Raised on the thread that made the change, after its log line was written; a handler that
    /// throws is logged and does not stop the others nor the change. Changes made on different threads can be raised
    /// concurrently: read <see cref="Status"/> for the state now.
    /// </summary>
    public event EventHandler<ConnectionStatusChangedEventArgs>? StatusChanged;

    /// <summary>Gets how many lifecycle checks of this connection are running (of any kind: startup, late, retry, refresh, probe).</summary>
    internal int ChecksRunning => Volatile.Read(ref _checksRunning);

    /// <summary>Counts a lifecycle check of this connection until the returned scope is disposed.</summary>
    internal CheckScope BeginCheck()
    {
        Interlocked.Increment(ref _checksRunning);
        return new CheckScope(this);
    }

    /// <summary>Gets the status and latest outcome together, to move from with <see cref="TryMove"/>.</summary>
    internal StatusRecord State => Volatile.Read(ref _status);

    /// <summary>
    /// The one writer of the status: moves it to <paramref name="next"/> only if it is still <paramref name="from"/>, the
    /// state the check that produced <paramref name="next"/> started from. A check overtaken by another is dropped.
    /// </summary>
    /// <returns><see langword="true"/> when the move was made.</returns>
    internal bool TryMove(StatusRecord from, StatusRecord next)
    {
        if (!ReferenceEquals(Interlocked.CompareExchange(ref _status, next, from), from))
        {
            return false;
        }

        if (next.Status != from.Status && StatusChanged is { } handlers)
        {
            var args = new ConnectionStatusChangedEventArgs(from.Status, next.Status);
            foreach (var handler in handlers.GetInvocationList().Cast<EventHandler<ConnectionStatusChangedEventArgs>>())
            {
                try
                {
                    handler(this, args);
                }
#pragma warning disable CA1031 // A subscriber's bug must not stop the lifecycle nor the other subscribers: it is logged.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Log.StatusChangedHandlerFailed(_logger, Name, exception);
                }
            }
        }

        return true;
    }

    internal static Uri ResolveVaultUri(string keyVaultName, string? dnsSuffix) =>
        keyVaultName.Contains("://", StringComparison.Ordinal)
            ? new Uri(new Uri(keyVaultName).GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) + "/")
            : new Uri($"https://{keyVaultName.ToLowerInvariant()}.{dnsSuffix ?? DefaultVaultSuffix}/");

    /// <summary>The span of one running check; see <see cref="BeginCheck"/>.</summary>
    internal readonly struct CheckScope(AdlsConnection connection) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref connection._checksRunning);
    }

    /// <summary>A status and the outcome that led to it (<see langword="null"/> before the first).</summary>
    /// <param name="Status">The status.</param>
    /// <param name="Result">The outcome that led to it.</param>
    /// <param name="FailedStep">The step that failed, when the outcome is a failure.</param>
    /// <param name="StorageUnverified">
    /// Whether a storage check failed and none has passed since: every later check of the connection includes one, so
    /// a retry that fails earlier (a vault blip) cannot lead to a Ready without it.
    /// </param>
    internal sealed record StatusRecord(ConnectionStatus Status, KeyVaultFetchResult? Result, Internal.Hosting.CheckStep? FailedStep = null, bool StorageUnverified = false)
    {
        public Exception? Error => Result?.Error;

        public TimeSpan? Duration => Result?.Duration;
    }
}
