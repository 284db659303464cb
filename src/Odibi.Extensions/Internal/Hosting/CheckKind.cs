namespace Odibi.Extensions.Internal.Hosting;

/// <summary>What started a check of a connection.</summary>
internal enum CheckKind
{
    /// <summary>The startup prefetch, or a call of <see cref="IAdlsConnections.PrefetchAsync"/>: cached secrets are used.</summary>
    Startup,

    /// <summary>A background retry of a failed connection: the secret is read from the vault again.</summary>
    Retry,

    /// <summary>The background refresh of a ready connection: the secret is read again; a failed read keeps the last good value.</summary>
    Refresh,

    /// <summary>A health probe of a ready connection: cached secret and token, the storage check always.</summary>
    Probe,
}
