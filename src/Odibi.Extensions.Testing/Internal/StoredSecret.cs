namespace Odibi.Extensions.Testing.Internal;

/// <summary>All versions of one secret, oldest first, and its deletion if it is soft-deleted. Guarded by the owning <see cref="SecretStore"/>'s lock.</summary>
internal sealed class StoredSecret
{
    public StoredSecret(string name)
    {
        Name = name;
    }

    /// <summary>Gets the name as first stored (Key Vault names are case-insensitive but keep their casing).</summary>
    public string Name { get; }

    public List<SecretVersion> Versions { get; } = [];

    public SecretVersion Latest => Versions[^1];

    /// <summary>Gets or sets when the secret was deleted and when it will be purged; <see langword="null"/> while it is active.</summary>
    public SecretDeletion? Deletion { get; set; }

    public SecretVersion? Find(string version)
    {
        return Versions.Find(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
    }

    public int IndexOf(string version)
    {
        return Versions.FindIndex(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
    }
}
