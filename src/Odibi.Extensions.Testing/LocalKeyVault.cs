using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Odibi.Extensions.Testing.Internal;
using Odibi.Extensions.Testing.Internal.Proxy;

namespace Odibi.Extensions.Testing;

/// <summary>
/// An in-process HTTPS server speaking the Azure Key Vault secrets protocol, so the real <see cref="SecretClient"/>
/// can be tested against it: every secrets operation (get, set, list, versions, update, delete, recover, purge, backup,
/// restore) answered as the service answers, bearer challenges, several named vaults, latency, rate limits and injected faults.
/// Start it with <see cref="StartAsync(LocalKeyVaultOptions?, CancellationToken)"/>, wire clients with
/// <see cref="ConfigureClientOptions(SecretClientOptions)"/> and <see cref="Credential"/>, and dispose it to stop it.
/// All members are thread-safe and the knobs can change while clients are talking to it.
/// </summary>
public sealed class LocalKeyVault : IAsyncDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);
    private const int ListenBacklog = 4096; // Linux caps it at net.core.somaxconn

    private readonly ConcurrentDictionary<string, LocalVault> _vaults = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _requestsLock = new();
    private readonly Queue<LocalKeyVaultRequest> _requests = new();
    private readonly int _requestLogCapacity;
    private readonly CancellationTokenSource _stopping = new();
    private readonly X509Certificate2 _certificate;
    private readonly ILogger _logger;
    private readonly ProxySettings? _proxy;
    private WebApplication? _app;
    private HttpClientTransport? _transport;
    private LocalVaultRoutingPolicy? _routingPolicy;
    private Uri? _endpoint;
    private long _latencyTicks;
    private long _jitterTicks;
    private LocalKeyVaultRateLimit? _rateLimit;
    private Func<string, bool>? _validateToken;
    private Func<string, string?>? _claimsChallenge;
    private readonly int _recoverableDays;
    private int _challengeCount;
    private int _secretRequestCount;
    private int _disposed;

    private LocalKeyVault(LocalKeyVaultOptions options, X509Certificate2 certificate, ProxySettings? proxy)
    {
        _proxy = proxy;
        TenantId = options.TenantId;
        TimeProvider = options.TimeProvider;
        Latency = options.Latency;
        Jitter = options.Jitter;
        RateLimit = options.RateLimit;
        ValidateToken = options.ValidateToken;
        _recoverableDays = options.RecoverableDays;
        _requestLogCapacity = options.RequestLogCapacity;
        _certificate = certificate;
        _logger = options.LoggerFactory?.CreateLogger<LocalKeyVault>() ?? NullLogger<LocalKeyVault>.Instance;
    }

    /// <summary>Gets the address the server listens on, <c>https://127.0.0.1:{port}/</c> (<c>http://127.0.0.1:{port}/</c>, the proxy's address, when started by <see cref="LocalKeyVaultProxy"/>).</summary>
    public Uri Endpoint => _endpoint ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>Gets the tenant id named in the bearer challenge.</summary>
    public string TenantId { get; }

    /// <summary>Gets the credential to give clients of this server; it counts token requests and can be made slow or failing.</summary>
    public CountingTokenCredential Credential { get; } = new();

    /// <summary>Gets or sets the delay before every answer (challenges included). Defaults to <see cref="LocalKeyVaultOptions.Latency"/>; <see cref="LocalVault.Latency"/> overrides it per vault.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _latencyTicks, value.Ticks);
        }
    }

    /// <summary>Gets or sets the largest random extra delay added to <see cref="Latency"/> for each request. Defaults to <see cref="LocalKeyVaultOptions.Jitter"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan Jitter
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _jitterTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _jitterTicks, value.Ticks);
        }
    }

    /// <summary>
    /// Gets or sets the request limit each vault applies, e.g. <see cref="LocalKeyVaultRateLimit.KeyVaultService"/>
    /// (4,000 per 10 s, 429 <c>Throttled</c> without <c>Retry-After</c>); <see langword="null"/> means no limit. Each vault
    /// keeps its own window. Defaults to <see cref="LocalKeyVaultOptions.RateLimit"/>; <see cref="LocalVault.RateLimit"/>
    /// overrides it per vault.
    /// </summary>
    public LocalKeyVaultRateLimit? RateLimit
    {
        get => Volatile.Read(ref _rateLimit);
        set => Volatile.Write(ref _rateLimit, value);
    }

    /// <summary>
    /// Gets or sets <see cref="RateLimit"/> as requests per sliding second (without <c>Retry-After</c>): setting <c>n</c>
    /// sets <c>LocalKeyVaultRateLimit.PerSecond(n)</c>. Gets <see langword="null"/> when there is no limit or its window
    /// is not one second.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? RequestsPerSecond
    {
        get => LocalKeyVaultRateLimit.ToRequestsPerSecond(RateLimit);
        set => RateLimit = LocalKeyVaultRateLimit.FromRequestsPerSecond(value);
    }

    /// <summary>
    /// Gets or sets a check of the bearer token (without the <c>Bearer </c> prefix); when it returns <see langword="false"/>
    /// the request is answered 401 with a challenge. <see langword="null"/> (the default) accepts any token.
    /// </summary>
    public Func<string, bool>? ValidateToken
    {
        get => Volatile.Read(ref _validateToken);
        set => Volatile.Write(ref _validateToken, value);
    }

    /// <summary>
    /// Gets or sets a check that asks for more claims, as the service does when continuous access evaluation revokes a
    /// session: given the bearer token (without the <c>Bearer </c> prefix), it returns the claims JSON the token lacks, and
    /// the request is answered 401 with the service's claims challenge (<c>error="insufficient_claims"</c>, the claims in
    /// base64, no resource), or <see langword="null"/> to accept the token. <see langword="null"/> (the default) asks for
    /// no claims.
    /// </summary>
    public Func<string, string?>? ClaimsChallenge
    {
        get => Volatile.Read(ref _claimsChallenge);
        set => Volatile.Write(ref _claimsChallenge, value);
    }

    /// <summary>
    /// Gets a snapshot of the requests received, oldest first (each is recorded just before it is answered): the last
    /// <see cref="LocalKeyVaultOptions.RequestLogCapacity"/> of them.
    /// </summary>
    public IReadOnlyList<LocalKeyVaultRequest> Requests
    {
        get
        {
            lock (_requestsLock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets how many requests, over all vaults, were answered 401 with a challenge because they carried no bearer token.</summary>
    public int ChallengeCount => Volatile.Read(ref _challengeCount);

    /// <summary>Gets how many requests, over all vaults, carried a bearer token (whatever the answer).</summary>
    public int SecretRequestCount => Volatile.Read(ref _secretRequestCount);

    /// <summary>Gets the clock used for timestamps and rate-limit windows.</summary>
    internal TimeProvider TimeProvider { get; }

    /// <summary>Gets the server certificate (for tests of the certificate itself).</summary>
    internal X509Certificate2 Certificate => _certificate;

    /// <summary>Starts a server on 127.0.0.1 with a free port and a new self-signed certificate.</summary>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="ArgumentException"><see cref="LocalKeyVaultOptions.TenantId"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="LocalKeyVaultOptions.RecoverableDays"/> is not between 7 and 90.</exception>
    public static Task<LocalKeyVault> StartAsync(LocalKeyVaultOptions? options = null, CancellationToken cancellationToken = default) =>
        StartCoreAsync(options, proxy: null, cancellationToken);

    /// <summary>Starts the server in process (<paramref name="proxy"/> <see langword="null"/>) or as the HTTPS proxy of <see cref="LocalKeyVaultProxy"/>.</summary>
    internal static async Task<LocalKeyVault> StartCoreAsync(LocalKeyVaultOptions? options, ProxySettings? proxy, CancellationToken cancellationToken)
    {
        options ??= new LocalKeyVaultOptions();
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TenantId, nameof(options));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options));
        SecretStore.ValidateRecoverableDays(options.RecoverableDays);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RequestLogCapacity, 1, nameof(options));

        X509Certificate2 certificate = proxy?.ServerCertificate ?? SelfSignedCertificateFactory.Create(DateTimeOffset.UtcNow);
        var server = new LocalKeyVault(options, certificate, proxy);
        try
        {
            // Start outside the caller's execution context: tools that find an app's host by listening for the first
            // host built in its flow (WebApplicationFactory, EF tooling) must not take this server for the app.
            Task start;
            using (ExecutionContext.SuppressFlow())
            {
                start = Task.Run(() => server.StartServerAsync(cancellationToken), cancellationToken);
            }

            await start.ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Gets a vault by name, creating it if this server does not host it yet. Names are case-insensitive. Only vaults
    /// created here exist: a client's request for any other vault fails as an unknown host does.
    /// </summary>
    /// <param name="name">
    /// The vault name, e.g. <c>my-production-kv</c>: letters, digits and dashes. A name with non-ASCII letters is kept in
    /// its punycode form (<c>bücher-kv</c> is <c>xn--bcher-kv-65a</c>), as clients send it in the host name.
    /// </param>
    /// <returns>The vault.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid vault name.</exception>
    public LocalVault Vault(string name)
    {
        string key = ToVaultKey(name);
        return _vaults.GetOrAdd(key, static (key, server) => new LocalVault(key, GetVaultUriCore(key), server.TimeProvider, server._recoverableDays), this);
    }

    /// <summary>Gets the URI a client uses for a vault, <c>https://{name}.vault.azure.net/</c>; clients configured by <see cref="ConfigureClientOptions(SecretClientOptions)"/> reach this server through it.</summary>
    /// <param name="vaultName">The vault name.</param>
    /// <returns>The vault URI.</returns>
    /// <exception cref="ArgumentException"><paramref name="vaultName"/> is not a valid vault name.</exception>
    public Uri GetVaultUri(string vaultName)
    {
        return GetVaultUriCore(ToVaultKey(vaultName));
    }

    /// <summary>
    /// Points <see cref="SecretClient"/>s built with <paramref name="options"/> at this server, whatever vault URI they use
    /// (<c>https://{name}.vault.azure.net</c>, sovereign clouds, private links): sets a transport that trusts exactly this
    /// server's certificate, adds a policy routing each request to the vault named by its host, and sets
    /// <see cref="SecretClientOptions.DisableChallengeResourceVerification"/>. Retry and diagnostics settings are left alone.
    /// On a server started by <see cref="LocalKeyVaultProxy"/>, the transport goes through the proxy instead and trusts
    /// exactly its CA; no policy is added and the challenge's resource stays verified.
    /// </summary>
    /// <param name="options">The options to change.</param>
    public void ConfigureClientOptions(SecretClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        options.Transport = _transport!;
        ConfigureRouting(options);
    }

    /// <summary>Creates a <see cref="SecretClient"/> for a vault of this server (creating the vault if needed), authenticating with <see cref="Credential"/>.</summary>
    /// <param name="vaultName">The vault name; the client's <see cref="SecretClient.VaultUri"/> is <see cref="GetVaultUri(string)"/>.</param>
    /// <param name="options">Options to start from (e.g. with short retry delays), or <see langword="null"/> for new ones; they are changed by <see cref="ConfigureClientOptions(SecretClientOptions)"/>.</param>
    /// <returns>The client.</returns>
    /// <exception cref="ArgumentException"><paramref name="vaultName"/> is not a valid vault name.</exception>
    public SecretClient CreateClient(string vaultName, SecretClientOptions? options = null)
    {
        Uri vaultUri = Vault(vaultName).VaultUri;
        options ??= new SecretClientOptions();
        ConfigureClientOptions(options);
        return new SecretClient(vaultUri, Credential, options);
    }

    /// <summary>Sets <see cref="ChallengeCount"/> and <see cref="SecretRequestCount"/> of the server and every vault to zero and empties the rate-limit windows.</summary>
    public void ResetCounters()
    {
        Interlocked.Exchange(ref _challengeCount, 0);
        Interlocked.Exchange(ref _secretRequestCount, 0);
        foreach (LocalVault vault in _vaults.Values)
        {
            vault.ResetCounters();
        }
    }

    /// <summary>Empties <see cref="Requests"/>.</summary>
    public void ClearRequests()
    {
        lock (_requestsLock)
        {
            _requests.Clear();
        }
    }

    /// <summary>Removes the faults queued in every vault.</summary>
    public void ClearFaults()
    {
        foreach (LocalVault vault in _vaults.Values)
        {
            vault.ClearFaults();
        }
    }

    /// <summary>
    /// Stops the server and aborts hanging requests. Clients configured by it stay usable objects, but their requests
    /// then fail as against an unreachable vault (connection refused).
    /// </summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(s_stopTimeout);
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                await _app.DisposeAsync().ConfigureAwait(false);
            }

            if (_endpoint is not null) // null when the start failed (a port in use): its error must not be masked
            {
                LocalKeyVaultLog.Stopped(_logger, _endpoint);
            }
        }

        // The transport stays usable on purpose: clients configured by this server then fail the way they would
        // against an unreachable vault (connection refused), instead of with ObjectDisposedException.
        _certificate.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Adds only the routing policy and challenge setting, without the pinned transport (for tests of certificate trust).</summary>
    internal void ConfigureRouting(SecretClientOptions options)
    {
        if (_proxy is not null)
        {
            return; // through the proxy, clients use the real vault URLs and keep verifying the challenge's resource
        }

        options.AddPolicy(_routingPolicy!, HttpPipelinePosition.BeforeTransport);
        options.DisableChallengeResourceVerification = true;
    }

    internal TimeSpan NextDelay(LocalVault? vault)
    {
        TimeSpan delay = vault?.Latency ?? Latency;
        long jitterTicks = Interlocked.Read(ref _jitterTicks);
        if (jitterTicks > 0)
        {
            delay += TimeSpan.FromTicks(Random.Shared.NextInt64(jitterTicks + 1));
        }

        return delay;
    }

    internal void Record(LocalKeyVaultRequest request)
    {
        lock (_requestsLock)
        {
            if (_requests.Count >= _requestLogCapacity)
            {
                _requests.Dequeue(); // a ring: the newest requests are kept
            }

            _requests.Enqueue(request);
        }
    }

    /// <summary>Gets a vault this server hosts, or <see langword="null"/>; never creates one.</summary>
    internal LocalVault? FindVault(string name) =>
        IsValidVaultName(name) && _vaults.TryGetValue(ToVaultKey(name), out LocalVault? vault) ? vault : null;

    /// <summary>Gets the vaults this server hosts, by name.</summary>
    internal IEnumerable<LocalVault> Vaults => _vaults.Values.OrderBy(v => v.Name, StringComparer.Ordinal);

    internal void CountChallenge() => Interlocked.Increment(ref _challengeCount);

    internal void CountSecretRequest() => Interlocked.Increment(ref _secretRequestCount);

    private static Uri GetVaultUriCore(string vaultName) => new($"https://{vaultName.ToLowerInvariant()}.vault.azure.net/");

    /// <summary>Gets whether <paramref name="name"/> can be the first DNS label of a vault host.</summary>
    internal static bool IsValidVaultName(string? name)
    {
        return !string.IsNullOrEmpty(name)
            && name.Length <= 63
            && name[0] != '-'
            && name[^1] != '-'
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
    }

    /// <summary>Validates a vault name and gives its ASCII (punycode) form.</summary>
    private static string ToVaultKey(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string ascii = name;
        if (!Ascii.IsValid(name))
        {
            try
            {
                ascii = new IdnMapping().GetAscii(name);
            }
            catch (ArgumentException)
            {
                ascii = name;
            }
        }

        if (!IsValidVaultName(ascii))
        {
            throw new ArgumentException($"'{name}' is not a vault name: use letters, digits and dashes, as in the first label of https://{{name}}.vault.azure.net.", nameof(name));
        }

        return ascii;
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LocalKeyVault).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (_proxy is null)
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_certificate));
                return;
            }

            // The proxy's one port: CONNECT tunnels to vault hosts (TLS terminated here), and plain HTTP for the
            // identity endpoint and the admin API.
            kestrel.Listen(IPAddress.Loopback, _proxy.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => new ConnectTunnel(next, name => FindVault(name) is not null, _certificate, () => new Uri(Endpoint, AdminApi.Prefix + "/")).OnConnectionAsync);
            });
        });
        // A fleet of clients in one process opens hundreds of connections at once: past the default backlog (512) the
        // kernel drops their SYNs and each retries 1 s, 3 s, 7 s… later, stalls a real vault's front end does not cause.
        builder.Services.Configure<SocketTransportOptions>(sockets => sockets.Backlog = ListenBacklog);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = s_stopTimeout);
        builder.Services.AddSingleton<IHostLifetime, InProcessHostLifetime>();

        WebApplication app = builder.Build();
        _app = app;
        var handler = new KeyVaultRequestHandler(this, _logger, _stopping.Token);
        if (_proxy is null)
        {
            app.Run(handler.HandleAsync);
        }
        else
        {
            var router = new ProxyRequestRouter(handler, new IdentityEndpoint(Credential, _proxy.IdentityHeader), new AdminApi(this), () => Endpoint);
            app.Run(router.HandleAsync);
        }
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var bound = new Uri(address);
        _endpoint = new Uri($"{(_proxy is null ? "https" : "http")}://127.0.0.1:{bound.Port}/");

        var socketsHandler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        if (_proxy is null)
        {
            socketsHandler.SslOptions.RemoteCertificateValidationCallback = new PinnedCertificateValidator(_certificate).Validate;
        }
        else
        {
            // The real vault URL through this proxy, trusting exactly the local CA: what a client in any language does.
            socketsHandler.Proxy = new WebProxy(_endpoint);
            socketsHandler.UseProxy = true;
            socketsHandler.SslOptions.RemoteCertificateValidationCallback = new CertificateAuthorityValidator(_proxy.CertificateAuthority).Validate;
        }

        var httpClient = new HttpClient(socketsHandler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _transport = new HttpClientTransport(httpClient);
        _routingPolicy = _proxy is not null ? null : new LocalVaultRoutingPolicy(_endpoint, name => FindVault(name) is not null);
        LocalKeyVaultLog.Started(_logger, _endpoint);
    }
}
