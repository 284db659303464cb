using Azure.Core;
using Azure.Core.Pipeline;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// For a vault that is challenged first (its configured URI is not under a Key Vault DNS suffix, see
/// <see cref="PreAuthorization"/>): when the vault's first request goes out without a token, starts asking the shared
/// credential for the token the SDK is expected to ask for once the challenge is back, so the token and the challenge's
/// round trip overlap: max(T, L) + L instead of T + 2L (asynchronous pipelines; a synchronous read is challenged first). The token is only fetched, never sent: the SDK still verifies the
/// challenge and asks for the token it names, and <see cref="SharedTokenCredential"/> answers that request with this one
/// only when the scopes and CAE flag are the same and the token says it was issued in the challenge's tenant. A wrong
/// guess (another cloud's scope, another tenant) costs one more token request, not a wrong token.
/// <para>
/// The guess is the SDK's own context after a challenge (the cloud's vault scope, continuous access evaluation on, no
/// claims) with no tenant (the credential's own), since the challenge's tenant is not known yet. The cloud is taken
/// from the host's top-level domain (a private-link name under azure.cn or usgovcloudapi.net), the public one otherwise.
/// </para>
/// </summary>
internal sealed class EarlyToken : HttpPipelinePolicy
{
    private readonly TokenCredential _credential;
    private readonly TokenRequestContext _context;
    private int _started;

    public EarlyToken(Uri configuredVault, TokenCredential credential)
    {
        _credential = credential;
        _context = new TokenRequestContext([ScopeGuess(configuredVault)], parentRequestId: null, claims: null, tenantId: null, isCaeEnabled: true);
    }

    /// <summary>The vault scope of the cloud a host outside Key Vault's DNS suffixes most likely belongs to.</summary>
    public static string ScopeGuess(Uri vault)
    {
        var host = vault.Host;
        if (host.EndsWith(".azure.cn", StringComparison.OrdinalIgnoreCase))
        {
            return "https://vault.azure.cn/.default";
        }

        return host.EndsWith(".usgovcloudapi.net", StringComparison.OrdinalIgnoreCase)
            ? "https://vault.usgovcloudapi.net/.default"
            : "https://vault.azure.net/.default";
    }

    /// <summary>
    /// The synchronous pipeline starts nothing: its thread would block on the early token when the SDK asks for the
    /// challenge's tenant, rather than overlap anything.
    /// </summary>
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Start(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Start(HttpMessage message)
    {
        // The first request without a token is the one the vault answers with its challenge.
        if (Volatile.Read(ref _started) != 0
            || message.Request.Headers.Contains(HttpHeader.Names.Authorization)
            || Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        // Not awaited, nor tied to this request: the shared credential keeps the acquisition (registered before the call
        // below returns, running synchronously up to its first wait, so the SDK's request after the challenge finds it).
        _ = AskForTokenAsync();
    }

    /// <summary>Asks for the token; a failure is its own callers' to see (the SDK's request then asks for the challenge's tenant as it would have).</summary>
    private async Task AskForTokenAsync()
    {
        try
        {
            await _credential.GetTokenAsync(_context, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Seen by the SDK's own request, which asks again.
        }
    }
}
