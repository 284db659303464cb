using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Internal.Storage;
using Odibi.Extensions.Internal.Telemetry;
using static Odibi.Extensions.AdlsConnection;

namespace Odibi.Extensions.Internal.Hosting;

/// <summary>
/// One lifecycle for every connection, for the life of the process: secret (when it comes from Key Vault) → identity
/// token (for <see cref="AdlsAuthMode.ServicePrincipal"/> and <see cref="AdlsAuthMode.ManagedIdentity"/>) → storage check
/// (with <c>VerifyStorage</c>) → one status transition, made only if the status is still the one the check started
/// from. The startup prefetch, background retries, a late success, the refresh and the health probe all check through
/// here, so a connection is never Ready before every step its settings ask for has passed.
/// </summary>
internal sealed class ConnectionLifecycle(
    SecretCache cache,
    IdentityCredentials identities,
    StorageVerifier verifier,
    IOptions<OdibiOptions> options,
    TimeProvider time,
    ILogger<ConnectionLifecycle> logger) : IDisposable
{
    // Canceled when the host stops; never disposed, so nothing reads a disposed token.
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Gets whether startup, retries and refreshes check storage (<c>Odibi:Prefetch:VerifyStorage</c>).</summary>
    public bool VerifyStorage => options.Value.Prefetch.VerifyStorage;

    /// <summary>Gets whether a check of <paramref name="kind"/> has anything to do for <paramref name="connection"/> now.</summary>
    public bool Applies(AdlsConnection connection, CheckKind kind) => kind switch
    {
        CheckKind.Startup => connection.HasKeyVaultSecret || IsIdentity(connection) || VerifyStorage,
        // A failed connection whose check is still running (a startup check past its deadline) is left to that check.
        CheckKind.Retry => connection.Status == ConnectionStatus.Failed && connection.ChecksRunning == 0,
        CheckKind.Refresh => connection.HasKeyVaultSecret && connection.Status is ConnectionStatus.Ready or ConnectionStatus.Degraded,
        _ => connection.Status is ConnectionStatus.Ready or ConnectionStatus.Degraded,
    };

    /// <summary>Ends the checks under way and refuses new ones: the host is stopping.</summary>
    public void Stop() => _stopping.Cancel();

    public void Dispose() => Stop();

    /// <summary>
    /// Runs the steps for <paramref name="connection"/>. Each step is bounded by <see cref="PrefetchOptions.FetchTimeout"/>;
    /// only stopping the host cancels the check, so a caller that stops waiting (the startup deadline) leaves it to finish.
    /// </summary>
    /// <exception cref="OperationCanceledException">The host is stopping.</exception>
    public async Task<CheckOutcome> CheckAsync(AdlsConnection connection, CheckKind kind, bool verifyStorage, StatusRecord from)
    {
        using var running = connection.BeginCheck();
        var stopping = _stopping.Token;
        var started = time.GetTimestamp();
        if (connection.HasKeyVaultSecret)
        {
            var key = SecretKey.For(connection);
            try
            {
                _ = kind is CheckKind.Retry or CheckKind.Refresh
                    ? await cache.RefreshAsync(key, stopping).ConfigureAwait(false)
                    : await cache.GetAsync(key, stopping).ConfigureAwait(false);
            }
            catch (Exception exception) when (!stopping.IsCancellationRequested)
            {
                return new CheckOutcome(SecretFailures.ForConnection(connection, exception), time.GetElapsedTime(started), CheckStep.Secret);
            }
        }

        if (IsIdentity(connection))
        {
            var fetchTimeout = options.Value.Prefetch.FetchTimeout;
            using var timeout = new CancellationTokenSource(fetchTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token);
            try
            {
                await identities.For(connection).GetTokenAsync(IdentityCredentials.StorageScope, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                var error = new TimeoutException(
                    $"No storage token within {fetchTimeout} (Odibi:Prefetch:FetchTimeout): check the identity's endpoint is reachable, or raise FetchTimeout.");
                return new CheckOutcome(SecretFailures.ForToken(connection, error), time.GetElapsedTime(started), CheckStep.Token);
            }
            catch (Exception exception) when (!stopping.IsCancellationRequested)
            {
                return new CheckOutcome(SecretFailures.ForToken(connection, exception), time.GetElapsedTime(started), CheckStep.Token);
            }
        }

        // A connection that failed a storage check (a health probe's, say) is checked with one until one passes, whatever
        // the settings and whatever failed in between.
        if (verifyStorage || from.StorageUnverified)
        {
            var check = await verifier.CheckAsync(connection, stopping).ConfigureAwait(false);
            if (check.Error is { } error)
            {
                return new CheckOutcome(error, time.GetElapsedTime(started), CheckStep.Storage);
            }
        }

        return new CheckOutcome(null, time.GetElapsedTime(started), CheckStep.Storage);
    }

    /// <summary>
    /// Moves <paramref name="connection"/> as <paramref name="outcome"/> says, if its state is still <paramref name="from"/>;
    /// logs the outcome first, so whoever sees the new status finds its log line. A probe that passed moves nothing.
    /// </summary>
    /// <returns>The result, and the new state when the move was made (<see langword="null"/> when overtaken or nothing moved).</returns>
    public (KeyVaultFetchResult Result, StatusRecord? State) Apply(
        AdlsConnection connection, StatusRecord from, CheckOutcome outcome, CheckKind kind, bool late = false, int attempt = 0)
    {
        var result = new KeyVaultFetchResult(connection.Name, connection.Account, connection.KeyVaultUri, connection.SecretName,
            outcome.Error is null, outcome.Error, outcome.Duration);
        if (!ReferenceEquals(connection.State, from) || (kind == CheckKind.Probe && outcome.Error is null))
        {
            return (result, null); // another check overtook this one; or a probe confirmed the state
        }

        var next = Next(from, outcome, kind);
        LogOutcome(connection, from, next, outcome, kind, late, attempt);
        var unverified = outcome.Error is not null && (from.StorageUnverified || outcome.Step == CheckStep.Storage);
        var state = new StatusRecord(next, result, outcome.Error is null ? null : outcome.Step, unverified);
        return (result, connection.TryMove(from, state) ? state : null);
    }

    /// <summary>Waits for a check the startup stopped waiting for, and applies it: a late success makes the connection ready.</summary>
    public async Task CompleteLateAsync(AdlsConnection connection, Task<CheckOutcome> pending, StatusRecord from)
    {
        CheckOutcome outcome;
        try
        {
            outcome = await pending.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A check ends in an exception only when the host stops: nothing is left to apply.
        catch (Exception)
#pragma warning restore CA1031
        {
            return;
        }

        Apply(connection, from, outcome, CheckKind.Startup, late: true);
    }

    internal static bool IsIdentity(AdlsConnection connection) =>
        connection.AuthMode is AdlsAuthMode.ManagedIdentity or AdlsAuthMode.ServicePrincipal;

    private static ConnectionStatus Next(StatusRecord from, CheckOutcome outcome, CheckKind kind) => outcome.Error switch
    {
        null => ConnectionStatus.Ready,
        // Only a refresh that could not read the secret keeps serving the last good one; a refused token or storage check means it does not work.
        _ when kind == CheckKind.Refresh && outcome.Step == CheckStep.Secret && from.Status is ConnectionStatus.Ready or ConnectionStatus.Degraded
            => ConnectionStatus.Degraded,
        _ => ConnectionStatus.Failed,
    };

    private void LogOutcome(AdlsConnection connection, StatusRecord from, ConnectionStatus next, CheckOutcome outcome, CheckKind kind, bool late, int attempt)
    {
        var ms = outcome.Duration.TotalMilliseconds;
        if (outcome.Error is not { } error)
        {
            switch (kind)
            {
                case CheckKind.Startup when late:
                    Log.ConnectionReadyLate(logger, connection.Name, ms);
                    break;
                case CheckKind.Startup:
                    Log.ConnectionReady(logger, connection.Name, ms);
                    break;
                case CheckKind.Retry:
                    Log.ConnectionRecovered(logger, connection.Name, ms);
                    break;
                default:
                    Log.SecretRefreshed(logger, connection.Name);
                    break;
            }

            return;
        }

        var type = OdibiTelemetry.ErrorType(error);
        if (next == ConnectionStatus.Degraded)
        {
            Log.RefreshFailed(logger, connection.Name, type, error.Message);
        }
        else if (kind == CheckKind.Retry && from.Status == ConnectionStatus.Failed)
        {
            Log.ConnectionStillFailing(logger, connection.Name, attempt, type, error.Message);
        }
        else if (outcome.Step == CheckStep.Storage)
        {
            Log.StorageCheckFailed(logger, connection.Name, ms, type, error.Message);
        }
        else
        {
            Log.ConnectionFailed(logger, connection.Name, ms, type, error.Message);
        }
    }
}
