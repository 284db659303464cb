namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>A secret's value as last read from the vault, and its version (one more for each new value). Never printed.</summary>
internal readonly struct SecretValue(string value, long version)
{
    public string Value => value;

    public long Version => version;

    /// <summary>Whether this value is older than the one of <paramref name="heldVersion"/> a consumer holds (never, when its own version is unknown).</summary>
    public bool IsOlderThan(long heldVersion) => version != 0 && version < heldVersion;

    public override string ToString() => $"version {version}"; // never the value
}
