namespace Odibi.Extensions.Testing.Internal;

/// <summary>One immutable version of a stored secret; changes (e.g. disabling) replace the instance.</summary>
internal sealed record SecretVersion(
    string Name,
    string Version,
    string Value,
    string? ContentType,
    bool Enabled,
    DateTimeOffset? NotBefore,
    DateTimeOffset? ExpiresOn,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    IReadOnlyDictionary<string, string> Tags);
