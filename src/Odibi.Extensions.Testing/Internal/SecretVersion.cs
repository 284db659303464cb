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

/// <summary>How long a vault keeps deleted secrets, and the <c>recoveryLevel</c> it reports for that.</summary>
internal sealed record RecoverySettings(int RecoverableDays)
{
    public static RecoverySettings Default { get; } = new(90);

    /// <summary>Gets the service's name for the level: 90 days is <c>Recoverable+Purgeable</c>, 7 to 89 <c>CustomizedRecoverable+Purgeable</c>.</summary>
    public string RecoveryLevel => RecoverableDays >= 90 ? "Recoverable+Purgeable" : "CustomizedRecoverable+Purgeable";
}
