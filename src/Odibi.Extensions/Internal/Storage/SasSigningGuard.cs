namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// Keeps a keyed client from signing a SAS before its Key Vault account key exists: the client is created without the
/// key (no I/O on resolve), so until the first value is read it holds no key to sign with. After that, every new value
/// reaches the client the moment it is read, so a SAS is always signed with the current key.
/// </summary>
internal sealed class SasSigningGuard(AdlsConnection connection, RotatingStorageSecret secret)
{
    /// <summary>Gets whether the client holds the account key (read from the vault at least once).</summary>
    public bool HasKey => secret.Current is not null;

    /// <summary>Throws unless the client holds the account key.</summary>
    /// <exception cref="InvalidOperationException">The key has not been read yet; the message says why and what to call.</exception>
    public void EnsureKey()
    {
        if (!HasKey)
        {
            throw new InvalidOperationException(
                $"Connection '{connection.Name}' cannot sign a SAS yet: its account key (secret '{connection.SecretName}' in {connection.KeyVaultUri}) " +
                $"has not been read (connection status {connection.Status}). Generate SAS URIs after the host has started, or after " +
                "await connection.GetStorageKeyAsync() returns; CanGenerateSasUri says false until then.");
        }
    }
}
