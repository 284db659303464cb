using Microsoft.Extensions.Configuration;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// A configuration provider whose values are Key Vault secrets read through a <see cref="KeyVaultEngine"/>: all of them
/// in parallel when the configuration is built (bounded by <see cref="KeyVaultConfigurationOptions.StartupTimeout"/>),
/// failing with one exception that lists every secret that could not be read; then, with a reload interval, read again
/// in the background, the reload token firing only when a value changed, a failed reload keeping the last values and
/// logging once until a reload succeeds.
/// </summary>
internal abstract class KeyVaultConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly KeyVaultConfigurationOptions _options;
    private readonly CancellationTokenSource _lifetime = new();
    private ITimer? _timer;
    private bool _loaded;
    private bool _reloadFailing;
    private int _reloading;

    protected KeyVaultConfigurationProvider(KeyVaultEngine engine, KeyVaultConfigurationOptions options)
    {
        Engine = engine;
        _options = options;
    }

    public KeyVaultEngine Engine { get; }

    /// <summary>Gets a task that ends when the reload under way (if any) ends.</summary>
    internal Task ReloadTask { get; private set; } = Task.CompletedTask;

    public override void Load()
    {
        if (_loaded)
        {
            return; // the configuration root reloads every provider; the secrets are reloaded on this provider's own schedule
        }

        using var deadline = new CancellationTokenSource(_options.StartupTimeout, _options.TimeProvider);
        var (values, failures) = ReadAllAsync(refresh: false, deadline.Token).GetAwaiter().GetResult(); // no context: pool threads do the I/O
        if (failures.Count > 0)
        {
            throw new KeyVaultReferenceException(failures);
        }

        Data = values;
        _loaded = true;
        if (_options.ReloadInterval is { } interval && interval > TimeSpan.Zero)
        {
            _timer = _options.TimeProvider.CreateTimer(static state => ((KeyVaultConfigurationProvider)state!).OnReloadDue(), this, interval, interval);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    /// <summary>
    /// Reads every secret (again, with <paramref name="refresh"/>): the values by configuration path (null for an optional
    /// reference that could not be read) and what could not be read.
    /// </summary>
    protected abstract Task<(Dictionary<string, string?> Values, List<KeyVaultReferenceFailure> Failures)> ReadAllAsync(bool refresh, CancellationToken cancellationToken);

    /// <summary>Reads each distinct secret once, in parallel; the failures keyed by secret.</summary>
    protected async Task<Dictionary<SecretKey, (string? Value, Exception? Error)>> ReadSecretsAsync(IEnumerable<SecretKey> keys, bool refresh, CancellationToken cancellationToken)
    {
        var distinct = keys.Distinct().ToList();
        var reads = distinct.Select(async key =>
        {
            try
            {
                var value = refresh
                    ? await Engine.Cache.RefreshAsync(key, cancellationToken).ConfigureAwait(false)
                    : await Engine.Cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
                return (key, (string?)value, (Exception?)null);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
            {
                return (key, null, new TimeoutException($"not read within {_options.StartupTimeout} (StartupTimeout); raise it, or check the vault and credential."));
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                return (key, null, error);
            }
        }).ToList();
        var results = await Task.WhenAll(reads).ConfigureAwait(false);
        return results.ToDictionary(r => r.key, r => (r.Item2, r.Item3));
    }

    /// <summary>The cause and the fix of a failed read of <paramref name="key"/> at <paramref name="path"/>; never a value.</summary>
    protected static KeyVaultReferenceFailure Failure(string path, SecretKey key, Exception error)
    {
        var cause = error is Azure.RequestFailedException { Status: 404 } failed
            ? $"{failed.Status} {failed.ErrorCode}. Fix: create the secret in the vault, or correct the reference's vault and secret name."
            : SecretFailures.Cause(error);
        return new KeyVaultReferenceFailure(path, key.Vault, key.Name, $"{path}: {key}: {cause}");
    }

    private void OnReloadDue()
    {
        if (Interlocked.Exchange(ref _reloading, 1) == 1)
        {
            return; // the previous reload is still running
        }

        ReloadTask = Task.Run(ReloadAsync);
    }

    private async Task ReloadAsync()
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
            deadline.CancelAfter(_options.StartupTimeout);
            var (values, failures) = await ReadAllAsync(refresh: true, deadline.Token).ConfigureAwait(false);
            if (failures.Count > 0)
            {
                if (!_reloadFailing)
                {
                    _reloadFailing = true;
                    var reason = string.Join(" | ", failures.Select(f => f.Message));
                    Engine.Log.Write(logger => Internal.Log.KeyVaultReloadFailed(logger, values.Count + failures.Count, reason));
                }

                return;
            }

            if (_reloadFailing)
            {
                _reloadFailing = false;
                Engine.Log.Write(static logger => Internal.Log.KeyVaultReloadRecovered(logger));
            }

            var changed = values.Count(v => !Data.TryGetValue(v.Key, out var old) || !string.Equals(old, v.Value, StringComparison.Ordinal))
                          + Data.Keys.Count(k => !values.ContainsKey(k));
            if (changed > 0)
            {
                Data = values;
                Engine.Log.Write(logger => Internal.Log.KeyVaultReloaded(logger, changed, values.Count));
                OnReload();
            }
        }
        catch (Exception) when (_lifetime.IsCancellationRequested)
        {
            // Disposed while reloading: the configuration is gone.
        }
        catch (ObjectDisposedException)
        {
            // The engine's cache was disposed with the app's services: nothing left to reload for.
        }
        finally
        {
            Volatile.Write(ref _reloading, 0);
        }
    }
}
