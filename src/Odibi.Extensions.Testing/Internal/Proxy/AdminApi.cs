using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Odibi.Extensions.Testing.Internal.Proxy;

/// <summary>
/// The control API under <c>/_admin/</c>: the knobs of <see cref="LocalKeyVault"/> and <see cref="LocalVault"/> over
/// HTTP with JSON bodies, for clients in any language. The routes are listed by <c>GET /_admin/</c> and in
/// <c>docs/testing.md</c>.
/// </summary>
internal sealed class AdminApi(LocalKeyVault server)
{
    public const string Prefix = "/_admin";

    private static readonly string[] s_routes =
    [
        "GET /_admin/vaults",
        "PUT /_admin/vaults/{vault}",
        "PUT /_admin/vaults/{vault}/secrets/{name}   body \"value\" or {\"value\", \"enabled\", \"contentType\", \"tags\"}",
        "GET|DELETE /_admin/vaults/{vault}/secrets/{name}",
        "POST /_admin/vaults/{vault}/secrets/{name}/disable|enable|recover|purge",
        "POST /_admin/vaults/{vault}/faults   body {\"kind\": \"status|hang|drop|malformed|disabled\", \"status\", \"secret\", \"count\", \"retryAfterSeconds\"}",
        "DELETE /_admin/vaults/{vault}/faults, DELETE /_admin/faults",
        "PUT|DELETE /_admin/rate-limit, PUT|DELETE /_admin/vaults/{vault}/rate-limit   body {\"permits\", \"windowSeconds\", \"retryAfter\", \"countChallenges\"}",
        "PUT /_admin/latency   body {\"milliseconds\", \"jitterMilliseconds\"}; PUT|DELETE /_admin/vaults/{vault}/latency   body {\"milliseconds\"}",
        "PUT /_admin/identity   body {\"fail\": \"message\" or null, \"latencyMilliseconds\", \"lifetimeSeconds\"}",
        "POST /_admin/seed   body as the --seed file",
        "GET|DELETE /_admin/requests",
        "GET /_admin/counters, POST /_admin/counters/reset",
    ];

    public async Task HandleAsync(HttpContext context)
    {
        string[] path = (context.Request.Path.Value ?? string.Empty)[Prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        string method = context.Request.Method;
        try
        {
            JsonElement body = await ReadBodyAsync(context).ConfigureAwait(false);
            await RouteAsync(context, method, path, body).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            await WriteAsync(context, ex is KeyNotFoundException ? 404 : 400, json => json.WriteString("error", ex.Message)).ConfigureAwait(false);
        }
    }

    private static bool IsGet(string method) => HttpMethods.IsGet(method);

    private async Task RouteAsync(HttpContext context, string method, string[] path, JsonElement body)
    {
        switch (path)
        {
            case []:
                await WriteAsync(context, 200, json => WriteStrings(json, "routes", s_routes)).ConfigureAwait(false);
                return;

            case ["vaults"] when IsGet(method):
                await WriteAsync(context, 200, json =>
                {
                    json.WriteStartArray("vaults");
                    foreach (LocalVault vault in server.Vaults)
                    {
                        json.WriteStartObject();
                        json.WriteString("name", vault.Name);
                        WriteStrings(json, "secrets", vault.GetSecretNames());
                        WriteStrings(json, "deletedSecrets", vault.GetDeletedSecretNames());
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }).ConfigureAwait(false);
                return;

            case ["vaults", string name] when HttpMethods.IsPut(method):
                LocalVault created = server.Vault(name);
                await WriteAsync(context, 200, json => json.WriteString("name", created.Name)).ConfigureAwait(false);
                return;

            case ["vaults", string vaultName, "secrets", string secret]:
                await SecretAsync(context, method, Existing(vaultName), secret, body).ConfigureAwait(false);
                return;

            case ["vaults", string vaultName, "secrets", string secret, string action] when HttpMethods.IsPost(method):
                LocalVault target = Existing(vaultName);
                bool done = action switch
                {
                    "disable" => Do(() => target.DisableSecret(secret)),
                    "enable" => Do(() => target.EnableSecret(secret)),
                    "recover" => target.RecoverDeletedSecret(secret),
                    "purge" => target.PurgeDeletedSecret(secret),
                    _ => throw new ArgumentException($"Unknown action '{action}': use disable, enable, recover or purge."),
                };
                await WriteAsync(context, done ? 200 : 404, json => json.WriteBoolean("done", done)).ConfigureAwait(false);
                return;

            case ["vaults", string vaultName, "faults"] when HttpMethods.IsPost(method):
                LocalVault faulted = Existing(vaultName);
                (string? secretName, LocalKeyVaultFault fault) = ReadFault(body);
                if (secretName is null)
                {
                    faulted.InjectFault(fault);
                }
                else
                {
                    faulted.InjectFault(secretName, fault);
                }

                await WriteAsync(context, 200, json => json.WriteString("fault", fault.ToString())).ConfigureAwait(false);
                return;

            case ["vaults", string vaultName, "faults"] when HttpMethods.IsDelete(method):
                Existing(vaultName).ClearFaults();
                await WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
                return;

            case ["faults"] when HttpMethods.IsDelete(method):
                server.ClearFaults();
                await WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
                return;

            case ["rate-limit"]:
                server.RateLimit = HttpMethods.IsDelete(method) ? null : ReadRateLimit(body);
                await WriteAsync(context, 200, json => json.WriteString("rateLimit", server.RateLimit?.ToString())).ConfigureAwait(false);
                return;

            case ["vaults", string vaultName, "rate-limit"]:
                LocalVault limited = Existing(vaultName);
                limited.RateLimit = HttpMethods.IsDelete(method) ? null : ReadRateLimit(body);
                await WriteAsync(context, 200, json => json.WriteString("rateLimit", limited.RateLimit?.ToString())).ConfigureAwait(false);
                return;

            case ["latency"] when HttpMethods.IsPut(method):
                server.Latency = TimeSpan.FromMilliseconds(Number(body, "milliseconds") ?? 0);
                server.Jitter = TimeSpan.FromMilliseconds(Number(body, "jitterMilliseconds") ?? 0);
                await WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
                return;

            case ["vaults", string vaultName, "latency"]:
                Existing(vaultName).Latency = HttpMethods.IsDelete(method) || Number(body, "milliseconds") is not double ms ? null : TimeSpan.FromMilliseconds(ms);
                await WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
                return;

            case ["identity"] when HttpMethods.IsPut(method):
                server.Credential.FailWith(body.ValueKind == JsonValueKind.Object && body.TryGetProperty("fail", out JsonElement fail) && fail.ValueKind == JsonValueKind.String
                    ? new InvalidOperationException(fail.GetString())
                    : null);
                server.Credential.TokenLatency = TimeSpan.FromMilliseconds(Number(body, "latencyMilliseconds") ?? 0);
                if (Number(body, "lifetimeSeconds") is double lifetime)
                {
                    server.Credential.TokenLifetime = TimeSpan.FromSeconds(lifetime);
                }

                await WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
                return;

            case ["seed"] when HttpMethods.IsPost(method):
                IReadOnlyList<string> seeded = SeedFile.Apply(body, server, "POST /_admin/seed");
                await WriteAsync(context, 200, json => WriteStrings(json, "vaults", seeded)).ConfigureAwait(false);
                return;

            case ["requests"] when IsGet(method):
                await WriteAsync(context, 200, json =>
                {
                    json.WriteStartArray("requests");
                    foreach (LocalKeyVaultRequest request in server.Requests)
                    {
                        json.WriteStartObject();
                        json.WriteString("timestamp", request.Timestamp);
                        json.WriteString("method", request.Method);
                        json.WriteString("vault", request.VaultName);
                        json.WriteString("host", request.VaultHost);
                        json.WriteString("secret", request.SecretName);
                        json.WriteString("version", request.SecretVersion);
                        if (request.StatusCode is int status)
                        {
                            json.WriteNumber("status", status);
                        }
                        else
                        {
                            json.WriteNull("status");
                        }

                        json.WriteBoolean("hasToken", request.HasToken);
                        json.WriteString("fault", request.Fault?.ToString());
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }).ConfigureAwait(false);
                return;

            case ["requests"] when HttpMethods.IsDelete(method):
                server.ClearRequests();
                await WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
                return;

            case ["counters"] when IsGet(method):
                await WriteAsync(context, 200, json =>
                {
                    json.WriteNumber("tokens", server.Credential.Count);
                    json.WriteNumber("challenges", server.ChallengeCount);
                    json.WriteNumber("secretRequests", server.SecretRequestCount);
                    json.WriteStartObject("vaults");
                    foreach (LocalVault vault in server.Vaults)
                    {
                        json.WriteStartObject(vault.Name);
                        json.WriteNumber("challenges", vault.ChallengeCount);
                        json.WriteNumber("secretRequests", vault.SecretRequestCount);
                        json.WriteEndObject();
                    }

                    json.WriteEndObject();
                }).ConfigureAwait(false);
                return;

            case ["counters", "reset"] when HttpMethods.IsPost(method):
                server.ResetCounters();
                server.Credential.Reset();
                await WriteAsync(context, 200, _ => { }).ConfigureAwait(false);
                return;

            default:
                await WriteAsync(context, 404, json => json.WriteString("error", $"No admin route {method} {context.Request.Path}: GET {Prefix}/ lists them.")).ConfigureAwait(false);
                return;
        }
    }

    private static bool Do(Action action)
    {
        action();
        return true;
    }

    private async Task SecretAsync(HttpContext context, string method, LocalVault vault, string secret, JsonElement body)
    {
        if (HttpMethods.IsPut(method))
        {
            string version = SeedFile.SetSecret(vault, secret, body, $"PUT {context.Request.Path}");
            await WriteAsync(context, 200, json => json.WriteString("version", version)).ConfigureAwait(false);
        }
        else if (HttpMethods.IsDelete(method))
        {
            bool deleted = vault.DeleteSecret(secret);
            await WriteAsync(context, deleted ? 200 : 404, json => json.WriteBoolean("done", deleted)).ConfigureAwait(false);
        }
        else
        {
            string? value = vault.GetSecretValue(secret);
            await WriteAsync(context, value is null ? 404 : 200, json =>
            {
                json.WriteString("value", value);
                WriteStrings(json, "versions", vault.GetSecretVersions(secret));
            }).ConfigureAwait(false);
        }
    }

    private LocalVault Existing(string name) =>
        server.FindVault(name) ?? throw new KeyNotFoundException($"LocalKeyVault hosts no vault named '{name}': add --vault {name}, or create it with PUT {Prefix}/vaults/{name}.");

    private static (string? Secret, LocalKeyVaultFault Fault) ReadFault(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("kind", out JsonElement kindElement) || kindElement.ValueKind != JsonValueKind.String)
        {
            throw new ArgumentException("A fault is {\"kind\": \"status|hang|drop|malformed|disabled\", \"status\": 503, \"secret\": \"name\", \"count\": 1, \"retryAfterSeconds\": 2}; only kind is required (status for kind status).");
        }

        LocalKeyVaultFault fault = kindElement.GetString() switch
        {
            "status" => LocalKeyVaultFault.Status((int)(Number(body, "status") ?? throw new ArgumentException("A fault of kind status needs \"status\", e.g. 503."))),
            "hang" => LocalKeyVaultFault.Hang(),
            "drop" => LocalKeyVaultFault.DropConnection(),
            "malformed" => LocalKeyVaultFault.MalformedBody(),
            "disabled" => LocalKeyVaultFault.Disabled(),
            var other => throw new ArgumentException($"Unknown fault kind '{other}': use status, hang, drop, malformed or disabled."),
        };
        if (Number(body, "count") is double count)
        {
            fault = fault.Times((int)count);
        }

        if (Number(body, "retryAfterSeconds") is double retryAfter)
        {
            fault = fault.WithRetryAfter(TimeSpan.FromSeconds(retryAfter));
        }

        string? secret = body.TryGetProperty("secret", out JsonElement s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        return (secret, fault);
    }

    private static LocalKeyVaultRateLimit ReadRateLimit(JsonElement body)
    {
        double permits = Number(body, "permits") ?? throw new ArgumentException("A rate limit is {\"permits\": 5, \"windowSeconds\": 1, \"retryAfter\": true, \"countChallenges\": false}; permits is required.");
        return new LocalKeyVaultRateLimit((int)permits, TimeSpan.FromSeconds(Number(body, "windowSeconds") ?? 1))
        {
            SendRetryAfter = body.TryGetProperty("retryAfter", out JsonElement r) && r.ValueKind == JsonValueKind.True,
            CountChallenges = body.TryGetProperty("countChallenges", out JsonElement c) && c.ValueKind == JsonValueKind.True,
        };
    }

    private static double? Number(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static async Task<JsonElement> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.TransferEncoding.Any()))
        {
            return default;
        }

        try
        {
            using JsonDocument document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The body is not JSON: {ex.Message}", ex);
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        json.WriteStartObject();
        write(json);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
