using System.Globalization;

namespace Odibi.Extensions.Testing;

/// <summary>One request received by a <see cref="LocalKeyVault"/>, as listed in <see cref="LocalKeyVault.Requests"/>. Never holds secret values.</summary>
public sealed class LocalKeyVaultRequest
{
    internal LocalKeyVaultRequest(
        DateTimeOffset timestamp,
        string method,
        string? vaultName,
        string? vaultHost,
        string? secretName,
        string? secretVersion,
        int? statusCode,
        bool hasToken,
        LocalKeyVaultFault? fault)
    {
        Timestamp = timestamp;
        Method = method;
        VaultName = vaultName;
        VaultHost = vaultHost;
        SecretName = secretName;
        SecretVersion = secretVersion;
        StatusCode = statusCode;
        HasToken = hasToken;
        Fault = fault;
    }

    /// <summary>Gets when the request arrived, from <see cref="LocalKeyVaultOptions.TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Gets the HTTP method, e.g. <c>GET</c>, <c>PUT</c>, <c>PATCH</c>, <c>DELETE</c> or <c>POST</c>.</summary>
    public string Method { get; }

    /// <summary>Gets the vault the request was routed to, or <see langword="null"/> if it named none.</summary>
    public string? VaultName { get; }

    /// <summary>
    /// Gets the vault host the client addressed, e.g. <c>my-kv.vault.azure.net</c> (with <c>:port</c> when not 443, and
    /// in punycode when not ASCII); several hosts may name one vault. <see langword="null"/> if the request did not say.
    /// </summary>
    public string? VaultHost { get; }

    /// <summary>Gets the secret name from the path (of <c>/secrets/{name}…</c> or <c>/deletedsecrets/{name}…</c>), or <see langword="null"/> for lists and other paths.</summary>
    public string? SecretName { get; }

    /// <summary>Gets the secret version from the path, or <see langword="null"/> when the latest version was asked for.</summary>
    public string? SecretVersion { get; }

    /// <summary>Gets the status code answered, or <see langword="null"/> when no response was sent (hang, dropped connection, client gave up during latency).</summary>
    public int? StatusCode { get; }

    /// <summary>Gets a value indicating whether the request carried an <c>Authorization: Bearer</c> token.</summary>
    public bool HasToken { get; }

    /// <summary>Gets the injected fault that decided the answer, or <see langword="null"/> when none applied.</summary>
    public LocalKeyVaultFault? Fault { get; }

    /// <summary>Describes the request, e.g. <c>GET my-kv/db-password -> 200</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString()
    {
        string status = StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "no response";
        string version = SecretVersion is null ? string.Empty : "/" + SecretVersion;
        string fault = Fault is null ? string.Empty : $" [{Fault}]";
        string token = HasToken ? string.Empty : " (no token)";
        return $"{Method} {VaultName}/{SecretName}{version} -> {status}{token}{fault}";
    }
}
