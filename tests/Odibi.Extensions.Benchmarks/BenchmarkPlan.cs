using Odibi.Extensions.Benchmarks.Strategies;

namespace Odibi.Extensions.Benchmarks;

/// <summary>The scenarios to run, and which strategies run in each.</summary>
internal static class BenchmarkPlan
{
    public const int RateLimit = 400;

    public static readonly TimeSpan ColdToken = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A cold <c>DefaultAzureCredential</c> whose discovery walks several sources before one answers: about 4 s each in
    /// the field log of the Python original, whose four parallel fetches took 3.96-4.20 s.
    /// </summary>
    public static readonly TimeSpan SlowDiscoveryToken = TimeSpan.FromSeconds(4);

    public static readonly IFetchStrategy Sequential = new SequentialStrategy();

    public static readonly IFetchStrategy PerFetchClient = new PerFetchClientStrategy();

    public static readonly IFetchStrategy Odibi = new OdibiPrefetchStrategy();

    public static readonly IFetchStrategy Floor = new TokenPresentFloorStrategy();

    public static readonly IFetchStrategy References = new OdibiReferencesStrategy();

    public static readonly IFetchStrategy PlainSdk = new PlainSdkStrategy();

    public static readonly IFetchStrategy KeyVaultProvider = new KeyVaultProviderStrategy();

    /// <summary>Configuration references: Odibi's, the Key Vault configuration provider's strategy, and one after another.</summary>
    public static readonly IReadOnlyList<IFetchStrategy> ReferenceStrategies = [Sequential, KeyVaultProvider, References];

    public static readonly IReadOnlyList<IFetchStrategy> All = [Sequential, PerFetchClient, PlainSdk, Odibi];

    /// <summary>Latency-bound rows also run the floor: a bare client with the token pre-sent (no retries, so not under a rate limit).</summary>
    public static readonly IReadOnlyList<IFetchStrategy> WithFloor = [Sequential, PerFetchClient, PlainSdk, Floor, Odibi];

    /// <summary>Private-link rows: no floor (a token is never sent to such a host before its challenge).</summary>
    public static readonly IReadOnlyList<IFetchStrategy> PrivateLinkStrategies = [PlainSdk, Odibi];

    /// <summary>
    /// Other settings measured beside the defaults (<c>--prototype</c>). The adaptive per-vault limit now in the library
    /// was measured here first, against the fixed per-call cap it replaced.
    /// </summary>
    public static readonly IReadOnlyList<IFetchStrategy> Prototypes =
    [
        new OdibiPrefetchStrategy(maxConcurrency: 56),
    ];

    public static IReadOnlyList<(Scenario Scenario, IReadOnlyList<IFetchStrategy> Strategies)> Full()
    {
        var plan = new List<(Scenario, IReadOnlyList<IFetchStrategy>)>();
        foreach (var token in new[] { ColdToken, TimeSpan.Zero })
        {
            foreach (var vaults in new[] { 1, 4 })
            {
                foreach (var secrets in new[] { 1, 4, 16, 64 })
                {
                    plan.Add((new Scenario(ScenarioKind.LatencyBound, secrets, vaults, secrets, token, null), WithFloor));
                }
            }
        }

        // Vaults outside Key Vault's DNS suffixes: the token overlaps the challenge (T = L: the overlap's best case).
        foreach (var token in new[] { ColdToken, Scenario.Latency, TimeSpan.Zero })
        {
            foreach (var secrets in new[] { 4, 64 })
            {
                plan.Add((new Scenario(ScenarioKind.LatencyBound, secrets, 1, secrets, token, null) { PrivateLink = true }, PrivateLinkStrategies));
            }
        }

        foreach (var token in new[] { ColdToken, TimeSpan.Zero })
        {
            foreach (var (secrets, vaults) in new[] { (256, 1), (1024, 1), (1024, 4) })
            {
                plan.Add((new Scenario(ScenarioKind.RateBound, secrets, vaults, secrets, token, RateLimit), All));
            }
        }

        foreach (var token in new[] { ColdToken, TimeSpan.Zero })
        {
            plan.Add((new Scenario(ScenarioKind.Shared, 2, 1, 4, token, null), All));
        }

        // Key Vault references in configuration, latency- and rate-bound.
        foreach (var rate in new int?[] { null, RateLimit })
        {
            foreach (var vaults in new[] { 1, 4 })
            {
                foreach (var secrets in new[] { 16, 64, 256 })
                {
                    plan.Add((new Scenario(ScenarioKind.References, secrets, vaults, secrets, ColdToken, rate), ReferenceStrategies));
                }
            }
        }

        // The field case: a slow credential discovery, which one shared credential pays once rather than per fetch.
        foreach (var secrets in new[] { 4, 16 })
        {
            plan.Add((new Scenario(ScenarioKind.LatencyBound, secrets, 1, secrets, SlowDiscoveryToken, null), [PerFetchClient, Odibi]));
        }

        return plan;
    }

    /// <summary>A minute's worth for CI: every kind of scenario, every strategy where it is cheap.</summary>
    public static IReadOnlyList<(Scenario Scenario, IReadOnlyList<IFetchStrategy> Strategies)> Quick() =>
    [
        (new Scenario(ScenarioKind.LatencyBound, 4, 1, 4, TimeSpan.Zero, null), WithFloor),
        (new Scenario(ScenarioKind.LatencyBound, 16, 4, 16, ColdToken, null), [PerFetchClient, Floor, Odibi]),
        (new Scenario(ScenarioKind.LatencyBound, 64, 4, 64, TimeSpan.Zero, null), [PlainSdk, Odibi]),
        (new Scenario(ScenarioKind.LatencyBound, 16, 1, 16, Scenario.Latency, null) { PrivateLink = true }, PrivateLinkStrategies),
        (new Scenario(ScenarioKind.RateBound, 1024, 1, 1024, TimeSpan.Zero, RateLimit), [Odibi]),
        (new Scenario(ScenarioKind.Shared, 2, 1, 4, ColdToken, null), All),
        (new Scenario(ScenarioKind.References, 64, 4, 64, TimeSpan.Zero, null), [KeyVaultProvider, References]),
    ];

    /// <summary>Warms the JIT and the connection pool (up to 4 vaults × 64 connections) before anything is measured.</summary>
    public static IReadOnlyList<(Scenario Scenario, IFetchStrategy Strategy)> WarmUp(bool quick) =>
    [
        (new Scenario(ScenarioKind.LatencyBound, 16, 4, 16, TimeSpan.Zero, null), Sequential),
        (new Scenario(ScenarioKind.LatencyBound, 16, 4, 16, TimeSpan.Zero, null), PerFetchClient),
        (new Scenario(ScenarioKind.LatencyBound, 16, 4, 16, TimeSpan.Zero, null), Odibi),
        (quick ? new Scenario(ScenarioKind.LatencyBound, 64, 1, 64, TimeSpan.Zero, null) : new Scenario(ScenarioKind.LatencyBound, 256, 4, 256, TimeSpan.Zero, null), Odibi),
    ];
}
