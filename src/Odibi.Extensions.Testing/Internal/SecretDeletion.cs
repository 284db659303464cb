namespace Odibi.Extensions.Testing.Internal;

/// <summary>When a soft-deleted secret was deleted, and when the vault purges it (deleted + its recoverable days).</summary>
internal sealed record SecretDeletion(DateTimeOffset DeletedOn, DateTimeOffset ScheduledPurge);
