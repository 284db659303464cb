using Azure;
using Azure.Identity;
using Odibi.Extensions.Internal.KeyVault;

namespace Odibi.Extensions.Internal.Storage;

/// <summary>
/// Turns a failed storage check into an error naming the connection, account, container and endpoint, the cause and the
/// fix. Built from status and error codes only: never from response bodies, headers or the key.
/// </summary>
internal static class StorageFailures
{
    public static Exception ForConnection(AdlsConnection connection, Exception error)
    {
        if (error is AggregateException { InnerExceptions.Count: > 0 } aggregate)
        {
            error = aggregate.InnerExceptions[^1]; // the SDK's retries each failed; the last says why
        }

        var message = $"Connection '{connection.Name}' (account {connection.Account}) could not open container '{connection.Container}' " +
                      $"at {connection.BlobEndpoint}: {Cause(connection, error)}";
        return error is TimeoutException ? new TimeoutException(message, error) : new InvalidOperationException(message, error);
    }

    private static string Cause(AdlsConnection connection, Exception error) => error switch
    {
        RequestFailedException { Status: 0 } failed =>
            $"{SecretFailures.Describe(failed)} Fix: check {connection.SettingPath}:Account, EndpointSuffix and BlobServiceUri, " +
            "and that this machine can reach the endpoint (firewall, private endpoint DNS).",
        RequestFailedException failed => $"{failed.Status} {failed.ErrorCode}. Fix: {Fix(connection, failed)}",
        AuthenticationFailedException or CredentialUnavailableException =>
            $"no storage token: {SecretFailures.Describe(error)} Fix: check the {connection.AuthMode} identity (its ClientId, TenantId and secret).",
        TimeoutException => SecretFailures.FirstLine(error.Message),
        _ => $"{SecretFailures.Describe(error)} Fix: check that {connection.BlobEndpoint} is a blob storage endpoint.",
    };

    private static string Fix(AdlsConnection connection, RequestFailedException failed) => (failed.Status, failed.ErrorCode) switch
    {
        (403, "AuthenticationFailed" or "AuthorizationFailure") => connection.AuthMode switch
        {
            AdlsAuthMode.KeyVault =>
                $"storage refused the account key: put the current key of account {connection.Account} " +
                $"(az storage account keys list --account-name {connection.Account}) in secret '{connection.SecretName}' of {connection.KeyVaultUri}; " +
                "the connection reads it again on its next refused request. If the key is right, allow this network in the account's firewall.",
            AdlsAuthMode.DirectKey =>
                $"storage refused the account key: set {connection.SettingPath}:AccountKey to the current key of account {connection.Account} " +
                $"(az storage account keys list --account-name {connection.Account}). If the key is right, allow this network in the account's firewall.",
            AdlsAuthMode.SasToken =>
                $"storage refused the SAS token: it is expired, revoked, for another account, or not for container '{connection.Container}'; " +
                $"issue a new one and store it in {SasSource(connection)}.",
            _ => $"storage refused the identity: grant it a data role (e.g. Storage Blob Data Reader) on account {connection.Account}, " +
                 "and allow this network in the account's firewall.",
        },
        (403, _) when connection.AuthMode == AdlsAuthMode.SasToken =>
            $"the SAS token lacks permission: issue one with read access to container '{connection.Container}' and store it in {SasSource(connection)}.",
        (403, _) => $"grant the identity a data role (e.g. Storage Blob Data Reader) on account {connection.Account}.",
        (404, "ContainerNotFound") =>
            $"container '{connection.Container}' does not exist in account {connection.Account}: create it " +
            $"(az storage container create --account-name {connection.Account} --name {connection.Container}) or fix {connection.SettingPath}:Container.",
        (404, _) => $"check {connection.SettingPath}:Account and BlobServiceUri.",
        (>= 500, _) => "storage is failing; retry later.",
        _ => "see the status and error code above.",
    };

    private static string SasSource(AdlsConnection connection) => connection.HasKeyVaultSecret
        ? $"secret '{connection.SecretName}' of {connection.KeyVaultUri}"
        : $"{connection.SettingPath}:SasToken";
}
