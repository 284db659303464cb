namespace Odibi.Extensions.Testing;

/// <summary>What a <see cref="LocalKeyVaultFault"/> does to a request.</summary>
public enum LocalKeyVaultFaultKind
{
    /// <summary>Answers with an error status code and a Key Vault error body.</summary>
    Status,

    /// <summary>Never answers; the request ends only when the client gives up or the server stops.</summary>
    Hang,

    /// <summary>Aborts the connection without sending a response.</summary>
    DropConnection,

    /// <summary>Answers 200 with a body that is not valid JSON.</summary>
    MalformedBody,

    /// <summary>Answers 403 <c>Forbidden</c> as Key Vault does for a disabled secret.</summary>
    Disabled,
}
