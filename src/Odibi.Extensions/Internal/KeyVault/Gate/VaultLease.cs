namespace Odibi.Extensions.Internal.KeyVault.Gate;

/// <summary>One request's permission to go to a vault: when it was sent, and whether it is the vault's first (primer) or a probe after a 429.</summary>
internal readonly record struct VaultLease(long Sent, bool Primer, bool Probe);
