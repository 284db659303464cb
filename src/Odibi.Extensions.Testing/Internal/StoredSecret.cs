namespace Odibi.Extensions.Testing.Internal;

/// <summary>All versions of one secret, oldest first. Guarded by the owning vault's lock.</summary>
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

    public SecretVersion? Find(string version)
    {
        return Versions.Find(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
    }
}
