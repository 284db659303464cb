namespace Odibi.Extensions.Testing.Internal;

/// <summary>How long a vault keeps deleted secrets, and the <c>recoveryLevel</c> it reports for that.</summary>
internal sealed record RecoverySettings(int RecoverableDays)
{
    public static RecoverySettings Default { get; } = new(90);

    /// <summary>Gets the service's name for the level: 90 days is <c>Recoverable+Purgeable</c>, 7 to 89 <c>CustomizedRecoverable+Purgeable</c>.</summary>
    public string RecoveryLevel => RecoverableDays >= 90 ? "Recoverable+Purgeable" : "CustomizedRecoverable+Purgeable";
}
