namespace Odibi.Extensions.Testing.Internal;

/// <summary>The Key Vault secrets operations LocalKeyVault answers.</summary>
internal enum SecretOperation
{
    /// <summary>A path outside the secrets API.</summary>
    Unsupported,

    /// <summary>A secrets path with a method the service does not allow there (405).</summary>
    MethodNotAllowed,

    GetSecret,
    SetSecret,
    UpdateSecret,
    DeleteSecret,
    ListSecrets,
    ListVersions,
    BackupSecret,
    RestoreSecret,
    GetDeletedSecret,
    ListDeletedSecrets,
    PurgeDeletedSecret,
    RecoverDeletedSecret,
}
