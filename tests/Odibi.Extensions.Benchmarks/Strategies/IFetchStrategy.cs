namespace Odibi.Extensions.Benchmarks.Strategies;

/// <summary>A way to get every connection's secret from Key Vault; each run starts cold (new credential, new clients).</summary>
internal interface IFetchStrategy
{
    /// <summary>Gets the name printed in the table.</summary>
    string Name { get; }

    /// <summary>Fetches every connection's secret, timing only the fetching (set-up that is not fetching stays outside).</summary>
    Task<StrategyOutcome> RunAsync(RunContext context);

    /// <summary>Predicts one run's wall time, to plan repetitions and skip runs that would take minutes.</summary>
    TimeSpan Predict(Scenario scenario);
}
