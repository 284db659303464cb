using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>
/// One connection of a run: its name, and the vault and secret (with the value it must read) it uses. The vault is
/// addressed as <see cref="VaultUri"/> (under vault.azure.net, or a private-link name) and configured as
/// <see cref="KeyVaultName"/> (its name, or that URI when it is not under vault.azure.net).
/// </summary>
internal sealed record RunConnection(string Name, string Account, string VaultName, Uri VaultUri, string SecretName, string ExpectedValue)
{
    public string KeyVaultName => VaultUri.Host.EndsWith(".vault.azure.net", StringComparison.OrdinalIgnoreCase) ? VaultName : VaultUri.ToString();
}

/// <summary>What a strategy gets for one run: the server, this run's (fresh) vaults and connections, and the token latency T.</summary>
internal sealed record RunContext(LocalKeyVault Server, IReadOnlyList<RunConnection> Connections, TimeSpan TokenLatency);

/// <summary>What a strategy reports of one run: the measured wall time, token requests made and connections not made ready.</summary>
internal sealed record StrategyOutcome(TimeSpan Elapsed, int TokenRequests, int Failures);

/// <summary>One measured run: the strategy's outcome plus what the vaults saw.</summary>
internal sealed record Measurement(TimeSpan Elapsed, int TokenRequests, int VaultRequests, int Throttled, int Challenges, int Failures);
