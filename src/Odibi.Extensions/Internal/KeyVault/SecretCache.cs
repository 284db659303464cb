using System.Collections.Concurrent;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Options;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>
/// The secrets read from Key Vault, keyed by (vault, name, version). Concurrent callers of one secret share one
/// request; no lock is held across I/O; a failure is not cached, so the next call tries again. Each fetch is bounded
/// by <see cref="PrefetchOptions.FetchTimeout"/>, the SDK's retries included.
/// </summary>
internal sealed class SecretCache : IDisposable
{
    private readonly ConcurrentDictionary<SecretKey, Entry> _entries = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly VaultClients _clients;
    private readonly TimeProvider _time;
    private readonly TimeSpan _fetchTimeout;

    public SecretCache(VaultClients clients, IOptions<OdibiOptions> options, TimeProvider time)
    {
        _clients = clients;
        _time = time;
        _fetchTimeout = options.Value.Prefetch.FetchTimeout;
    }

    /// <summary>Gets the cached value, or <see langword="null"/>.</summary>
    public string? Peek(SecretKey key) => _entries.TryGetValue(key, out var entry) ? entry.Value : null;

    /// <summary>Returns the cached value, or joins (or starts) the fetch of it.</summary>
    public ValueTask<string> GetAsync(SecretKey key, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        return entry.Value is { } value
            ? ValueTask.FromResult(value)
            : new ValueTask<string>(Fetch(key, entry, refresh: false).WaitAsync(cancellationToken));
    }

    /// <summary>Reads the secret again even if cached (joining a fetch already under way); the old value stays until it succeeds.</summary>
    public Task<string> RefreshAsync(SecretKey key, CancellationToken cancellationToken) =>
        Fetch(key, _entries.GetOrAdd(key, static _ => new Entry()), refresh: true).WaitAsync(cancellationToken);

    /// <summary>
    /// Reads the secret again because <paramref name="staleValue"/> was refused, unless the cached value already differs
    /// from it (someone else read the new one); joins a read under way. The cached value stays until the read succeeds.
    /// </summary>
    public Task<string> RefreshIfStaleAsync(SecretKey key, string staleValue, CancellationToken cancellationToken) =>
        Fetch(key, _entries.GetOrAdd(key, static _ => new Entry()), refresh: true, staleValue).WaitAsync(cancellationToken);

    /// <summary>Drops the cached value if it is still <paramref name="staleValue"/>, so the next call reads the vault.</summary>
    public void Invalidate(SecretKey key, string staleValue)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            lock (entry)
            {
                if (entry.Value == staleValue)
                {
                    entry.Value = null;
                }
            }
        }
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    private Task<string> Fetch(SecretKey key, Entry entry, bool refresh, string? unlessChangedFrom = null)
    {
        TaskCompletionSource<string> fetch;
        lock (entry)
        {
            if ((!refresh || (unlessChangedFrom is not null && entry.Value != unlessChangedFrom)) && entry.Value is { } value)
            {
                return Task.FromResult(value);
            }

            if (entry.InFlight is { } running)
            {
                return running;
            }

            fetch = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            entry.InFlight = fetch.Task;
        }

        // Started outside the lock, in the caller's async flow (which may be watching for the token request).
        _ = RunAsync(key, entry, fetch);
        return fetch.Task;
    }

    private async Task RunAsync(SecretKey key, Entry entry, TaskCompletionSource<string> fetch)
    {
        try
        {
            var value = await ReadAsync(key).ConfigureAwait(false);
            lock (entry)
            {
                entry.Value = value;
                entry.InFlight = null;
            }

            fetch.SetResult(value);
        }
        catch (Exception exception)
        {
            lock (entry)
            {
                entry.InFlight = null;
            }

            fetch.SetException(exception);
        }
    }

    private async Task<string> ReadAsync(SecretKey key)
    {
        var vault = _clients.Get(key.Vault);
        using var timeout = new CancellationTokenSource(_fetchTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _lifetime.Token);
        try
        {
            await vault.Gate.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                KeyVaultSecret secret = await vault.Client.GetSecretAsync(key.Name, key.Version, linked.Token).ConfigureAwait(false);
                if (string.IsNullOrWhiteSpace(secret.Value))
                {
                    throw new InvalidOperationException(
                        $"Key Vault {key} is empty: an empty value is not a key. Set the secret's value (az keyvault secret set --vault-name <vault> --name {key.Name} --value <key>).");
                }

                return secret.Value;
            }
            finally
            {
                vault.Gate.Release();
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_lifetime.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"Key Vault did not return {key} within {_fetchTimeout} (Odibi:Prefetch:FetchTimeout, retries included): " +
                "check that the vault is reachable from this network, or raise FetchTimeout.");
        }
    }

    private sealed class Entry
    {
        public string? Value { get; set; }

        public Task<string>? InFlight { get; set; }
    }
}
