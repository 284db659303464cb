namespace Odibi.Extensions.Internal.KeyVault.Gate;

/// <summary>How a vault answered a request.</summary>
internal enum VaultAnswer
{
    /// <summary>No answer: the request was canceled, or the connection failed.</summary>
    None,

    /// <summary>A 2xx answer.</summary>
    Success,

    /// <summary>A 429: the vault's request limit.</summary>
    Throttled,

    /// <summary>Any other answer.</summary>
    Failed,
}
