using Azure.Security.KeyVault.Secrets;
using Odibi.Extensions.Internal.KeyVault.Gate;

namespace Odibi.Extensions.Internal.KeyVault;

/// <summary>A vault's client, the gate every request to it passes, and its pre-authorization when it has one.</summary>
internal sealed record VaultClient(SecretClient Client, VaultGate Gate, PreAuthorization? PreAuthorization = null);
