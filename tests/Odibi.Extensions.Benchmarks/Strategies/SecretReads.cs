using Azure.Security.KeyVault.Secrets;

namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>How the client strategies read a connection's secret and tell whether it came back right.</summary>
internal static class SecretReads
{
    /// <summary>Reads <paramref name="connection"/>'s secret through <paramref name="client"/>; whether it failed (a refused request, a failed token, or a wrong value).</summary>
    public static async Task<bool> FailsAsync(SecretClient client, RunConnection connection, CancellationToken cancellationToken = default)
    {
        try
        {
            KeyVaultSecret secret = await client.GetSecretAsync(connection.SecretName, cancellationToken: cancellationToken);
            return secret.Value != connection.ExpectedValue;
        }
        catch (Exception exception) when (exception is Azure.RequestFailedException or Azure.Identity.AuthenticationFailedException)
        {
            return true;
        }
    }

    /// <summary>Reads every connection's secret at once, each through <paramref name="clientOf"/> its client; how many failed.</summary>
    public static async Task<int> FailuresAtOnceAsync(IEnumerable<RunConnection> connections, Func<RunConnection, SecretClient> clientOf)
    {
        var failed = await Task.WhenAll(connections.Select(c => FailsAsync(clientOf(c), c)));
        return failed.Count(f => f);
    }
}
