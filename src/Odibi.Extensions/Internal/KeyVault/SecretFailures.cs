using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Azure;
using Azure.Identity;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Turns a failed secret or token fetch into an error that names the connection, the vault and secret, the cause and
/// the fix. Built from status codes, error codes and first message lines only: never from response bodies or values.
/// </summary>
internal static class SecretFailures
{
    public static Exception ForConnection(AdlsConnection connection, Exception error)
    {
        if (error is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            error = aggregate.InnerExceptions[^1]; // an SDK's retries each failed; the last says why
        }

        var what = connection.HasKeyVaultSecret
            ? $"Connection '{connection.Name}' (account {connection.Account}) could not read secret '{connection.SecretName}' from {connection.KeyVaultUri}"
            : $"Connection '{connection.Name}' (account {connection.Account}) could not get a storage token for its {connection.AuthMode}";
        var message = $"{what}: {Cause(error)}";
        return error is TimeoutException ? new TimeoutException(message, error) : new InvalidOperationException(message, error);
    }

    /// <summary>A failed storage token request of an identity connection: names the identity, never the vault secret (which was read).</summary>
    public static Exception ForToken(AdlsConnection connection, Exception error)
    {
        var message = $"Connection '{connection.Name}' (account {connection.Account}) could not get a storage token for its {connection.AuthMode} identity: " +
                      (error is AuthenticationFailedException or CredentialUnavailableException
                          ? $"{Describe(error)} Fix: check the identity's TenantId, ClientId and secret ({connection.SettingPath}), or the managed identity assigned to this host."
                          : Cause(error));
        return error is TimeoutException ? new TimeoutException(message, error) : new InvalidOperationException(message, error);
    }

    public static string Cause(Exception error) => error switch
    {
        RequestFailedException { Status: 0 } failed => $"{Describe(failed.InnerException ?? failed)} Fix: check the vault name and that this machine can reach the vault.",
        RequestFailedException failed => $"{failed.Status} {failed.ErrorCode}: {FirstLine(failed.Message)} Fix: {Fix(failed)}",
        AuthenticationFailedException or CredentialUnavailableException =>
            $"{Describe(error)} Fix: check the credential (Odibi:Credential, or the environment/managed identity DefaultAzureCredential uses).",
        TimeoutException => FirstLine(error.Message),
        InvalidOperationException => FirstLine(error.Message),
        _ => $"{Describe(error)} Fix: check that the vault is reachable and answers as Key Vault does.",
    };

    private static string Fix(RequestFailedException failed) => failed.Status switch
    {
        401 => "the vault refused the token: check the credential and its tenant (Odibi:Credential).",
        403 when failed.Message.Contains("disabled", StringComparison.OrdinalIgnoreCase) => "enable the secret (or its current version) in the vault.",
        403 => "grant this identity 'Get' on secrets (the 'Key Vault Secrets User' role, or an access policy).",
        404 => "check SecretName, SecretVersion and KeyVaultName, or create the secret in the vault.",
        429 => "the vault is throttling (its request limit): spread secrets across vaults, stagger host starts, or raise Odibi:Prefetch:FetchTimeout.",
        >= 500 => "the vault is failing: check its health in the Azure portal; reads retry until Odibi:Prefetch:FetchTimeout, so raising it waits longer.",
        _ => "see the status and error code above.",
    };

    public static string Describe(Exception error)
    {
        var inner = error;
        while (inner.InnerException is { } next && inner is HttpRequestException or RequestFailedException or AggregateException)
        {
            inner = next;
        }

        var reason = inner switch
        {
            SocketException socket => $"{socket.SocketErrorCode}",
            AuthenticationException => "TLS handshake failed",
            _ => FirstLine(inner.Message),
        };
        return $"{error.GetType().Name}: {reason}.";
    }

    public static string FirstLine(string message)
    {
        var line = message.AsSpan();
        var end = line.IndexOfAny('\r', '\n');
        return (end < 0 ? line : line[..end]).Trim().ToString();
    }
}
