using Microsoft.Extensions.Configuration;

namespace Odibi.Extensions.Internal.References;

/// <summary>
/// Adds a Key Vault provider over the sources added before it. Its settings come from <c>Odibi:KeyVaultReferences</c>
/// in those sources (FetchTimeout, StartupTimeout, ReloadInterval), then from code, which wins.
/// </summary>
internal sealed class KeyVaultConfigurationSource(Func<KeyVaultEngine, IConfiguration, KeyVaultConfigurationOptions, IConfigurationProvider> create, Func<KeyVaultConfigurationOptions> options, Action<KeyVaultConfigurationOptions>? configure)
    : IConfigurationSource
{
    public const string SectionName = "Odibi:KeyVaultReferences";

    public IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        var earlier = new EarlierSources(EarlierProviders(builder));
        var settings = options();
        ReadSettings(earlier.GetSection(SectionName), settings);
        configure?.Invoke(settings);
        var engine = KeyVaultEngine.For(builder, settings, earlier);
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
        var errors = new List<string>();
        var value = OdibiConfigurationReader.TryTimeSpan(section, section.Path, key, errors);
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{section.Path}:{key} '{section[key]}' is not positive: write it as hh:mm:ss, e.g. 00:00:30 for 30 seconds.");
        }

        return errors.Count == 0 ? value : throw new InvalidOperationException(errors[0]);
    }
}
