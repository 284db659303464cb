using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// Adds a Key Vault provider over the sources added before it. Its settings come from <c>Odibi:KeyVaultReferences</c>
/// in those sources (FetchTimeout, StartupTimeout, ReloadInterval), then from code, which wins.
/// </summary>
internal sealed class KeyVaultConfigurationSource(Func<KeyVaultEngine, IReadOnlyList<IConfigurationProvider>, KeyVaultConfigurationOptions, IConfigurationProvider> create, Func<KeyVaultConfigurationOptions> options, Action<KeyVaultConfigurationOptions>? configure)
    : IConfigurationSource
{
    public const string SectionName = "Odibi:KeyVaultReferences";

    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        var earlier = EarlierProviders(builder);
        var configuration = new ReadOnlyView(earlier);
        var settings = options();
        ReadSettings(configuration.GetSection(SectionName), settings);
        configure?.Invoke(settings);
        var engine = KeyVaultEngine.For(builder, settings, configuration);
        return create(engine, earlier, settings);
    }

    /// <summary>The providers of the sources added before this one.</summary>
    private IReadOnlyList<IConfigurationProvider> EarlierProviders(IConfigurationBuilder builder)
    {
        if (builder is IConfigurationRoot root)
        {
            // A ConfigurationManager builds each source as it is added: the providers it has are the earlier ones.
            return [.. root.Providers.Where(p => p is not KeyVaultConfigurationProvider)];
        }

        var providers = new List<IConfigurationProvider>();
        foreach (var source in builder.Sources)
        {
            if (ReferenceEquals(source, this))
            {
                break;
            }

            if (source is KeyVaultConfigurationSource)
            {
                continue;
            }

            var provider = source.Build(builder);
            provider.Load();
            providers.Add(provider);
        }

        return providers;
    }

    private static void ReadSettings(IConfigurationSection section, KeyVaultConfigurationOptions settings)
    {
        settings.FetchTimeout = Read(section, nameof(settings.FetchTimeout)) ?? settings.FetchTimeout;
        settings.StartupTimeout = Read(section, nameof(settings.StartupTimeout)) ?? settings.StartupTimeout;
        settings.ReloadInterval = Read(section, nameof(settings.ReloadInterval)) ?? settings.ReloadInterval;
    }

    private static TimeSpan? Read(IConfigurationSection section, string key)
    {
        var text = section[key]?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // TimeSpan.Parse reads a bare number as days: "30" would silently mean a month.
        if (text.All(char.IsAsciiDigit) || !TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) || value <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"{section.Path}:{key} '{text}' is not a positive time span: write it as hh:mm:ss, e.g. 00:00:30 for 30 seconds.");
        }

        return value;
    }

    /// <summary>The earlier providers as one configuration, to read settings and the credential section from.</summary>
    private sealed class ReadOnlyView(IReadOnlyList<IConfigurationProvider> providers) : IConfiguration
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

        public Microsoft.Extensions.Primitives.IChangeToken GetReloadToken() => NullChangeToken.Instance;

        public IConfigurationSection GetSection(string key) => new Section(this, key);

        internal IEnumerable<IConfigurationSection> GetChildren(string? path) =>
            providers.Aggregate(Enumerable.Empty<string>(), (keys, p) => p.GetChildKeys(keys, path))
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Select(k => new Section(this, path is null ? k : ConfigurationPath.Combine(path, k)));

        private sealed class Section(ReadOnlyView view, string path) : IConfigurationSection
        {
            public string? this[string key] { get => view[ConfigurationPath.Combine(path, key)]; set => throw new NotSupportedException(); }

            public string Key => ConfigurationPath.GetSectionKey(path);

            public string Path => path;

            public string? Value { get => view[path]; set => throw new NotSupportedException(); }

            public IEnumerable<IConfigurationSection> GetChildren() => view.GetChildren(path);

            public Microsoft.Extensions.Primitives.IChangeToken GetReloadToken() => NullChangeToken.Instance;

            public IConfigurationSection GetSection(string key) => new Section(view, ConfigurationPath.Combine(path, key));
        }

        private sealed class NullChangeToken : Microsoft.Extensions.Primitives.IChangeToken
        {
            public static readonly NullChangeToken Instance = new();

            public bool HasChanged => false;

            public bool ActiveChangeCallbacks => false;

            public IDisposable RegisterChangeCallback(Action<object?> callback, object? state) => EmptyDisposable.Instance;
        }

        private sealed class EmptyDisposable : IDisposable
        {
            public static readonly EmptyDisposable Instance = new();

            public void Dispose()
            {
            }
        }
    }
}
