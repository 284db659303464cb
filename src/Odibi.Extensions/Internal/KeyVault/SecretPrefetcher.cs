using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.Hosting;
using Odibi.Extensions.Internal.Telemetry;
using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Runs one pass of <see cref="ConnectionLifecycle"/> checks over many connections at once — the startup prefetch, a
/// background retry, a refresh, a health probe — each distinct secret read once (the cache joins concurrent reads of one
/// secret; each vault's <see cref="VaultGate"/> sends its first request alone, to learn the challenge, and the rest when
/// it carries a token). Only the startup pass has a deadline (<see cref="PrefetchOptions.StartupTimeout"/>); a check it
/// stops waiting for goes on, and its late success makes the connection ready. Each kind of pass has its own log
/// events, activity (<c>odibi.prefetch</c>, <c>odibi.retry</c>, <c>odibi.refresh</c>, <c>odibi.probe</c>) and duration metric.
/// </summary>
internal sealed class SecretPrefetcher(
    ConnectionLifecycle lifecycle,
    OdibiTelemetry telemetry,
    IOptions<OdibiOptions> options,
    TimeProvider time,
    ILogger<SecretPrefetcher> logger)
{
    public async Task<PrefetchReport> RunAsync(IReadOnlyCollection<AdlsConnection> all, CheckKind kind, CancellationToken cancellationToken, int attempt = 0)
    {
        var prefetch = options.Value.Prefetch;
        var started = time.GetTimestamp();
        var connections = all.Where(c => lifecycle.Applies(c, kind)).ToList();
        if (connections.Count == 0)
        {
            return new PrefetchReport([], TimeSpan.Zero);
        }

        var keys = connections.Where(c => c.HasKeyVaultSecret).Select(SecretKey.For).Distinct().ToList();
        var vaults = keys.Select(k => k.Vault).Distinct().Count();
        switch (kind)
        {
            case CheckKind.Startup:
                Log.PrefetchStarting(logger, keys.Count, vaults, connections.Count(ConnectionLifecycle.IsIdentity), connections.Count, prefetch.MaxConcurrency);
                break;
            case CheckKind.Retry:
                Log.ConnectionRetrying(logger, connections.Count, string.Join(", ", connections.Select(c => c.Name)));
                break;
        }

        using var activity = OdibiTelemetry.ActivitySource.StartActivity(OdibiTelemetry.ActivityName(kind));
        activity?.SetTag("odibi.connections", connections.Count);
        activity?.SetTag("odibi.secrets", keys.Count);
        activity?.SetTag("odibi.vaults", vaults);

        using var deadline = new CancellationTokenSource(kind == CheckKind.Startup ? prefetch.StartupTimeout : Timeout.InfiniteTimeSpan, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);

        var verify = kind == CheckKind.Probe || lifecycle.VerifyStorage;
        var from = connections.Select(c => c.State).ToList();
        var checks = connections.Select((c, i) => lifecycle.CheckAsync(c, kind, verify, from[i])).ToList();
        foreach (var check in checks)
        {
            // A check this pass stops waiting for (its caller canceled) may still end in an error: observe it.
            _ = check.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        var results = new List<KeyVaultFetchResult>(connections.Count);
        for (var i = 0; i < connections.Count; i++)
        {
            var connection = connections[i];
            CheckOutcome outcome;
            var late = false;
            try
            {
                outcome = await checks[i].WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                outcome = new CheckOutcome(new TimeoutException(
                    $"Connection '{connection.Name}' (account {connection.Account}) did not finish within {prefetch.StartupTimeout} (Odibi:Prefetch:StartupTimeout): " +
                    "raise it, or check why the vault, the identity or storage is slow. It becomes ready when its check finishes."),
                    time.GetElapsedTime(started), CheckStep.Secret);
                late = true;
            }

            var (result, state) = lifecycle.Apply(connection, from[i], outcome, kind, attempt: attempt);
            results.Add(result);
            if (kind == CheckKind.Startup)
            {
                telemetry.RecordFetch(result);
            }

            if (late && state is not null)
            {
                // Its success still makes the connection ready, if nothing newer moved it meanwhile (then that wins).
                _ = lifecycle.CompleteLateAsync(connection, checks[i], state);
            }
        }

        var report = new PrefetchReport(results, time.GetElapsedTime(started));
        telemetry.RecordPass(kind, report);
        if (kind == CheckKind.Startup)
        {
            Log.PrefetchCompleted(logger, report.Elapsed.TotalMilliseconds, report.Succeeded, results.Count);
        }

        activity?.SetTag("odibi.failed", report.Failed);
        return report;
    }
}
