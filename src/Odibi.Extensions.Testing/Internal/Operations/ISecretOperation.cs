namespace Odibi.Extensions.Testing.Internal.Operations;

/// <summary>
/// One operation of the Key Vault secrets API. <see cref="KeyVaultRequestHandler"/> runs every request through its
/// pipeline (latency, vault, challenge, token, rate limit, faults), then hands it to the operation whose
/// <see cref="Operation"/> its <see cref="SecretRoute"/> names.
/// </summary>
internal interface ISecretOperation
{
    /// <summary>Gets the routed operation this answers.</summary>
    SecretOperation Operation { get; }

    /// <summary>Gets the verb the service names in a disabled-secret error, e.g. <c>get</c>.</summary>
    string Verb { get; }

    /// <summary>Answers the request as the service does, errors included.</summary>
    Task HandleAsync(SecretRequest request, CancellationToken cancellationToken);
}
