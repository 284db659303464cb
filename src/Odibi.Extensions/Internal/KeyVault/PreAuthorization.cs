using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Sends a vault's requests with a token from the start, so that a read costs a token and one round trip (T + L) instead
/// of a challenge, a token and the request again (T + 2L). Only for a vault whose <b>configured</b> URI is under one of
/// Key Vault's own DNS suffixes (<see cref="ScopeFor"/>): there the token's audience is known without asking, and the
/// host is Key Vault's by name. A token is never sent unasked to any other host (a private DNS name, an IP address, a
/// custom suffix): only the service's challenge says what such a host accepts, and the SDK checks that challenge's
/// resource against the host before it sends anything; guessing would hand a vault token to whatever answers there.
/// <para>
/// In the vault's pipeline after the SDK's challenge policy, which sends a request without a token while it has no
/// challenge cached for the host, and with its own token once it has one. This policy adds the token only to a GET that
/// carries none, and leaves every request the SDK has authorized alone. The token is asked for with
/// the context the SDK would use (the cloud's vault scope, continuous access evaluation on) and no tenant: the
/// credential's own. When the vault refuses it with a 401 (the vault is in another tenant, or it asks for claims),
/// the request is sent once more without a token: the vault's challenge goes back to the SDK as if this policy were
/// not there, the SDK takes over with the tenant and claims the challenge names, and this policy stops adding tokens
/// to that vault.
/// </para>
/// </summary>
internal sealed class PreAuthorization : HttpPipelinePolicy
{
    private static readonly (string Suffix, string Scope)[] KeyVaultSuffixes =
    [
        ("vault.azure.net", "https://vault.azure.net/.default"),
        ("vault.azure.cn", "https://vault.azure.cn/.default"),
        ("vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net/.default"),
        ("managedhsm.azure.net", "https://managedhsm.azure.net/.default"),
    ];

    private readonly TokenCredential _credential;
    private readonly TokenRequestContext _context;
    private volatile bool _refused;

    private PreAuthorization(TokenCredential credential, string scope)
    {
        _credential = credential;
        _context = new TokenRequestContext([scope], parentRequestId: null, claims: null, tenantId: null, isCaeEnabled: true);
    }

    /// <summary>Gets whether the vault refused the token this policy sent, so that the SDK's challenge flow has taken over.</summary>
    public bool Refused => _refused;

    /// <summary>
    /// The policy for a vault, or <see langword="null"/> when its configured URI is not under a Key Vault DNS suffix (an
    /// https URI whose host is a name below one of them).
    /// </summary>
    public static PreAuthorization? For(Uri configuredVault, TokenCredential credential) =>
        ScopeFor(configuredVault) is { } scope ? new PreAuthorization(credential, scope) : null;

    /// <summary>The token scope of a vault under a Key Vault DNS suffix, or <see langword="null"/> for any other vault URI.</summary>
    public static string? ScopeFor(Uri vault)
    {
        if (!vault.IsAbsoluteUri || vault.Scheme != Uri.UriSchemeHttps || vault.HostNameType != UriHostNameType.Dns)
        {
            return null;
        }

        foreach (var (suffix, scope) in KeyVaultSuffixes)
        {
            // A name below the suffix (orders-kv.vault.azure.net), not the suffix itself nor a look-alike (evilvault.azure.net).
            if (vault.Host.Length > suffix.Length + 1
                && vault.Host.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
            {
                return scope;
            }
        }

        return null;
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult(); // completes on this thread

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: true);

    private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        // Reads only: the SDK sends a write without its content to fetch the challenge (the content is put back for the
        // authorized request), so authorizing that first send would let the service act on an empty body.
        var authorized = !_refused
            && message.Request.Method == RequestMethod.Get
            && !message.Request.Headers.Contains(HttpHeader.Names.Authorization);
        if (authorized)
        {
            TrustedRootsWarmUp.Start(); // the connection's handshake will need them; load them while the token comes
            var token = async
                ? await _credential.GetTokenAsync(_context, message.CancellationToken).ConfigureAwait(false)
                : _credential.GetToken(_context, message.CancellationToken);
            message.Request.Headers.SetValue(HttpHeader.Names.Authorization, "Bearer " + token.Token);
        }

        await SendAsync(message, pipeline, async).ConfigureAwait(false);
        if (authorized && message.Response.Status == 401)
        {
            // Another tenant, or a claims challenge: hand the vault's own challenge to the SDK, which knows what to do
            // with it (and caches it for the host, so it authorizes every later request itself).
            _refused = true;
            message.Request.Headers.Remove(HttpHeader.Names.Authorization);
            message.Response.Dispose();
            await SendAsync(message, pipeline, async).ConfigureAwait(false);
        }
    }

    private static ValueTask SendAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        if (async)
        {
            return ProcessNextAsync(message, pipeline);
        }

        ProcessNext(message, pipeline);
        return ValueTask.CompletedTask;
    }
}
