namespace Odibi.Extensions.Testing.Internal;

/// <summary>Error messages of the service that both the operations and the injected faults send.</summary>
internal static class KeyVaultErrors
{
    private const string NotFoundHelp = "If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

    /// <summary>The message of a 404 <c>SecretNotFound</c>, for a secret name or <c>{name}/{version}</c>.</summary>
    public static string SecretNotFound(string? id) => $"A secret with (name/id) {id} was not found in this key vault. {NotFoundHelp}";
}
