using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.Telemetry;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// Fetches the connections' secrets in parallel: each distinct secret once, all queued at once (each vault's
/// <see cref="VaultGate"/> sends its first request alone, to learn the challenge, and the rest when it carries a token).
/// Identity connections get one storage token each, so a broken identity fails at startup too.
/// </summary>
internal sealed class SecretPrefetcher(
    SecretCache cache,
    StorageCredentialFactory identities,
    OdibiTelemetry telemetry,
    IOptions<OdibiOptions> options,
    TimeProvider time,
    ILogger<SecretPrefetcher> logger)
{
    private readonly ConcurrentDictionary<string, TokenCredential> _identityCredentials = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets (creating once) the identity credential of a connection.</summary>
    public TokenCredential IdentityCredential(AdlsConnection connection, string? clientSecret) =>
        _identityCredentials.GetOrAdd(connection.Name, _ => identities.Create(connection, clientSecret));

    public async Task<PrefetchReport> RunAsync(IReadOnlyCollection<AdlsConnection> all, bool refresh, CancellationToken cancellationToken)
    {
        var prefetch = options.Value.Prefetch;
        var started = time.GetTimestamp();
        var connections = all.Where(c => c.HasKeyVaultSecret || (!refresh && IsIdentity(c))).ToList();
        var keys = connections.Where(c => c.HasKeyVaultSecret).Select(SecretKey.For).Distinct().ToList();
        var vaults = keys.GroupBy(k => k.Vault).ToList();
        if (!refresh && connections.Count > 0)
        {
            Log.PrefetchStarting(logger, keys.Count, vaults.Count, connections.Count(IsIdentity), connections.Count, prefetch.MaxConcurrency);
        }

        using var activity = OdibiTelemetry.ActivitySource.StartActivity(refresh ? "odibi.refresh" : "odibi.prefetch");
        activity?.SetTag("odibi.secrets", keys.Count);
        activity?.SetTag("odibi.vaults", vaults.Count);

        using var deadline = new CancellationTokenSource(prefetch.StartupTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);

        var secrets = keys.ToDictionary(key => key, key => FetchAsync(key, refresh));

        var tasks = connections.Select(c => IsIdentity(c) ? AcquireTokenAsync(c, secrets, prefetch.FetchTimeout) : secrets[SecretKey.For(c)]).ToList();

        var results = new List<KeyVaultFetchResult>(connections.Count);
        for (var i = 0; i < connections.Count; i++)
        {
            var connection = connections[i];
            Outcome outcome;
            var late = false;
            try
            {
                outcome = await tasks[i].WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                outcome = new Outcome(new TimeoutException(
                    $"The prefetch did not finish within {prefetch.StartupTimeout} (Odibi:Prefetch:StartupTimeout): raise it, or check why the vault is slow."),
                    time.GetElapsedTime(started));
                late = true;
            }

            results.Add(Complete(connection, outcome, refresh));
            if (late)
            {
                _ = CompleteLateAsync(connection, tasks[i]); // the read goes on: its success still makes the connection ready
            }
        }

        var report = new PrefetchReport(results, time.GetElapsedTime(started));
        if (!refresh && connections.Count > 0)
        {
            telemetry.RecordPrefetch(report);
            Log.PrefetchCompleted(logger, report.Elapsed.TotalMilliseconds, report.Succeeded, results.Count);
        }

        activity?.SetTag("odibi.failed", report.Failed);
        return report;
    }

    private async Task<Outcome> FetchAsync(SecretKey key, bool refresh)
    {
        var started = time.GetTimestamp();
        try
        {
            _ = refresh
                ? await cache.RefreshAsync(key, CancellationToken.None).ConfigureAwait(false)
                : await cache.GetAsync(key, CancellationToken.None).ConfigureAwait(false);
            return new Outcome(null, time.GetElapsedTime(started));
        }
        catch (Exception exception)
        {
            return new Outcome(exception, time.GetElapsedTime(started));
        }
    }

    private async Task<Outcome> AcquireTokenAsync(AdlsConnection connection, Dictionary<SecretKey, Task<Outcome>> secrets, TimeSpan fetchTimeout)
    {
        var started = time.GetTimestamp();
        string? clientSecret = null;
        if (connection.HasKeyVaultSecret)
        {
            var secret = await secrets[SecretKey.For(connection)].ConfigureAwait(false);
            if (secret.Error is not null)
            {
                return secret with { Duration = time.GetElapsedTime(started) };
            }

            clientSecret = cache.Peek(SecretKey.For(connection));
        }
        else if (connection.AuthMode == AdlsAuthMode.ServicePrincipal)
        {
            clientSecret = await connection.GetStorageKeyAsync(CancellationToken.None).ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(fetchTimeout, time);
        try
        {
            await IdentityCredential(connection, clientSecret)
                .GetTokenAsync(StorageCredentialFactory.StorageScope, timeout.Token).ConfigureAwait(false);
            return new Outcome(null, time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new Outcome(new TimeoutException(
                $"No storage token within {fetchTimeout} (Odibi:Prefetch:FetchTimeout): check the identity's endpoint is reachable, or raise FetchTimeout."),
                time.GetElapsedTime(started));
        }
        catch (Exception exception)
        {
            _identityCredentials.TryRemove(connection.Name, out _);
            return new Outcome(exception, time.GetElapsedTime(started));
        }
    }

    private async Task CompleteLateAsync(AdlsConnection connection, Task<Outcome> pending)
    {
        var outcome = await pending.ConfigureAwait(false);
        if (outcome.Error is null && connection.Status is ConnectionStatus.Failed or ConnectionStatus.Degraded)
        {
            Log.ConnectionReadyLate(logger, connection.Name, outcome.Duration.TotalMilliseconds);
            connection.MarkReady(outcome.Duration);
        }
    }

    private KeyVaultFetchResult Complete(AdlsConnection connection, Outcome outcome, bool refresh)
    {
        var error = outcome.Error is null ? null : SecretFailures.ForConnection(connection, outcome.Error);
        var result = new KeyVaultFetchResult(connection.Name, connection.Account, connection.KeyVaultUri, connection.SecretName,
            error is null, error, outcome.Duration);

        // Each outcome is logged before the status changes: whoever sees the new status (a test, a health check, a
        // StatusChanged handler) finds its log line already written.
        if (error is null)
        {
            if (refresh)
            {
                Log.SecretRefreshed(logger, connection.Name);
            }
            else
            {
                Log.ConnectionReady(logger, connection.Name, outcome.Duration.TotalMilliseconds);
            }

            connection.MarkReady(outcome.Duration);
        }
        else if (refresh && connection.HasKeyVaultSecret && cache.Peek(SecretKey.For(connection)) is not null)
        {
            Log.RefreshFailed(logger, connection.Name, OdibiTelemetry.ErrorType(error), error.Message);
            connection.MarkDegraded(outcome.Duration, error);
        }
        else
        {
            Log.ConnectionFailed(logger, connection.Name, outcome.Duration.TotalMilliseconds, OdibiTelemetry.ErrorType(error), error.Message);
            connection.MarkFailed(outcome.Duration, error);
        }

        telemetry.RecordFetch(result);
        return result;
    }

    private static bool IsIdentity(AdlsConnection connection) =>
        connection.AuthMode is AdlsAuthMode.ManagedIdentity or AdlsAuthMode.ServicePrincipal;

    private sealed record Outcome(Exception? Error, TimeSpan Duration);
}
