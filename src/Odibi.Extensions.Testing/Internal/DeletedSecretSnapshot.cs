namespace Odibi.Extensions.Testing.Internal;

/// <summary>A soft-deleted secret as listed or read: its latest version and its deletion.</summary>
internal sealed record DeletedSecretSnapshot(SecretVersion Latest, SecretDeletion Deletion);
