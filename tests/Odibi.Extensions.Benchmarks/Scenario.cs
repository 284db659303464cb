using Odibi.Extensions.Testing;

namespace Odibi.Extensions.Benchmarks;

/// <summary>The kind of a scenario, which decides its targets.</summary>
internal enum ScenarioKind
{
    /// <summary>No rate limit: time is bound by latency.</summary>
    LatencyBound,

    /// <summary>Each vault allows <see cref="Scenario.RequestsPerSecond"/>: time is bound by the rate.</summary>
    RateBound,

    /// <summary>Several connections share fewer distinct secrets.</summary>
    Shared,

    /// <summary>Key Vault references in configuration (one per secret), with or without a rate limit.</summary>
    References,
}

/// <summary>
/// One benchmark scenario: <see cref="Secrets"/> distinct secrets spread round-robin over <see cref="Vaults"/> vaults,
/// used by <see cref="Connections"/> connections (connection i uses secret i mod <see cref="Secrets"/>).
/// </summary>
internal sealed record Scenario(
    ScenarioKind Kind,
    int Secrets,
    int Vaults,
    int Connections,
    TimeSpan TokenLatency,
    int? RequestsPerSecond)
{
    /// <summary>
    /// Gets whether the vaults are addressed by a private-link name (<c>{name}.privatelink.vaultcore.azure.net</c>), outside
    /// Key Vault's DNS suffixes: Odibi then waits for the challenge before sending a token, overlapping the two.
    /// </summary>
    public bool PrivateLink { get; init; }

    /// <summary>Gets the mean per-request latency L the vaults are set to (uniform in L ± 20 ms).</summary>
    public static TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Gets the jitter either side of <see cref="Latency"/>.</summary>
    public static TimeSpan Jitter { get; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Gets the vaults that hold at least one secret.</summary>
    public int UsedVaults => Math.Min(Vaults, Secrets);

    /// <summary>Gets N_v, the most secrets held by one vault.</summary>
    public int MostSecretsInOneVault => (Secrets + Vaults - 1) / Vaults;

    /// <summary>
    /// Gets the bound T + max(L, N_v / R), with R = ∞ without a rate limit: the token, then every secret in one round trip
    /// (the vaults are under vault.azure.net, so no challenge), or as fast as the vault's rate admits them. For
    /// <see cref="PrivateLink"/> vaults the token and the challenge overlap: max(T, L) + max(L, N_v / R).
    /// </summary>
    public TimeSpan Bound
    {
        get
        {
            var rateTime = RequestsPerSecond is int rate ? TimeSpan.FromSeconds((double)MostSecretsInOneVault / rate) : TimeSpan.Zero;
            var first = PrivateLink && Latency > TokenLatency ? Latency : TokenLatency;
            return first + (rateTime > Latency ? rateTime : Latency);
        }
    }

    /// <summary>Gets the bound's formula, as the report shows it.</summary>
    public string BoundFormula => PrivateLink ? "max(T, L) + L" : RequestsPerSecond is null ? "T + L" : "T + max(L, N_v/R)";

    /// <summary>Gets the vaults a challenge is expected from per run: one per used vault for private-link names, none otherwise.</summary>
    public int ExpectedChallenges => PrivateLink ? UsedVaults : 0;

    /// <summary>Gets the URI a run's clients use for <paramref name="vault"/>.</summary>
    public Uri VaultUri(LocalVault vault) =>
        PrivateLink ? new Uri($"https://{vault.Name}.privatelink.vaultcore.azure.net/") : vault.VaultUri;

    /// <summary>Gets a short label, e.g. <c>N=64, 4 vaults, T=500 ms</c>.</summary>
    public string Label =>
        $"{Kind} N={Secrets}{(Connections != Secrets ? $" ({Connections} connections)" : string.Empty)}, {Vaults} vault{(Vaults == 1 ? string.Empty : "s")}, T={TokenLatency.TotalMilliseconds:F0} ms" +
        (RequestsPerSecond is int r ? $", R={r}/s" : string.Empty) + (PrivateLink ? ", private link" : string.Empty);

    /// <summary>Gets the vault index of each distinct secret.</summary>
    public int VaultOf(int secret) => secret % Vaults;

    /// <summary>Gets the secret index a connection uses.</summary>
    public int SecretOf(int connection) => connection % Secrets;
}
