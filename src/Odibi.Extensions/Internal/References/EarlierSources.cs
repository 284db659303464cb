using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// The providers of the sources added before a Key Vault source, read as one configuration (the last provider that
/// has a key wins, as in a configuration root) without loading them again: a configuration root built over them would
/// load each once more, and a stream source cannot be read twice. Read-only; never signals a reload.
/// </summary>
internal sealed class EarlierSources(IReadOnlyList<IConfigurationProvider> providers) : IConfiguration
{
    public string? this[string key]
    {
        get
        {
            for (var i = providers.Count - 1; i >= 0; i--)
            {
                if (providers[i].TryGet(key, out var value))
                {
                    return value;
                }
            }

            return null;
        }
        set => throw new NotSupportedException();
    }

    public IEnumerable<IConfigurationSection> GetChildren() => GetChildren(null);

    public IChangeToken GetReloadToken() => NoChange.Instance;

    public IConfigurationSection GetSection(string key) => new Section(this, key);

    private IEnumerable<IConfigurationSection> GetChildren(string? path) =>
        providers.Aggregate(Enumerable.Empty<string>(), (keys, p) => p.GetChildKeys(keys, path))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(k => new Section(this, path is null ? k : ConfigurationPath.Combine(path, k)));

    private sealed class Section(EarlierSources view, string path) : IConfigurationSection
    {
        public string? this[string key] { get => view[ConfigurationPath.Combine(path, key)]; set => throw new NotSupportedException(); }

        public string Key => ConfigurationPath.GetSectionKey(path);

        public string Path => path;

        public string? Value { get => view[path]; set => throw new NotSupportedException(); }

        public IEnumerable<IConfigurationSection> GetChildren() => view.GetChildren(path);

        public IChangeToken GetReloadToken() => NoChange.Instance;

        public IConfigurationSection GetSection(string key) => new Section(view, ConfigurationPath.Combine(path, key));
    }

    private sealed class NoChange : IChangeToken
    {
        public static readonly NoChange Instance = new();

        public bool HasChanged => false;

        public bool ActiveChangeCallbacks => false;

        public IDisposable RegisterChangeCallback(Action<object?> callback, object? state) => NoRegistration.Instance;
    }

    private sealed class NoRegistration : IDisposable
    {
        public static readonly NoRegistration Instance = new();

        public void Dispose()
        {
        }
    }
}
