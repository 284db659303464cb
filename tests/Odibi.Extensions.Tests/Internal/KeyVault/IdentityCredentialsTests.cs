using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Odibi.Extensions.Internal.KeyVault;
using Odibi.Extensions.Testing;
using static Odibi.Extensions.Tests.Infrastructure.VaultTestHost;

namespace Odibi.Extensions.Tests.Internal.KeyVault;

/// <summary>
/// A service principal whose client secret is in Key Vault follows the secret: a rotation reaches its storage tokens, and
/// a client secret the identity platform refuses is read again from the vault. The identity platform is the one part
/// with no local stand-in here, so the credential factory records which client secret each token was asked with.
/// </summary>
public sealed class IdentityCredentialsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalKeyVault _server = null!;
    private string _vault = null!;

    public async Task InitializeAsync()
    {
        _server = await StartVaultAsync();
        _vault = UniqueVaultName();
        _server.Vault(_vault).SetSecret("spn-secret", "client-secret-1");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Refresh_ClientSecretRotated_EveryLaterTokenUsesTheNewSecret()
    {
        var platform = new IdentityPlatform();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var storage = new RecordingStorage();
        using var host = Build(Json(refresh: "\"Interval\": \"01:00:00\""), _server, b =>
        {
            b.Services.AddSingleton<StorageCredentialFactory>(platform);
            b.Services.AddSingleton<TimeProvider>(time);
            b.Services.AddOdibiConnections().ConfigureBlobClient(o => o.Transport = storage);
        }, output: output);
        var client = host.Services.GetRequiredKeyedService<BlobServiceClient>("spn"); // resolved before start, as a hosted service would
        await host.StartAsync();
        var spn = host.Services.GetRequiredService<IAdlsConnections>()["spn"];

        _server.Vault(_vault).SetSecret("spn-secret", "client-secret-2");
        platform.Refuse("client-secret-1"); // the old secret no longer works
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await spn.GetStorageKeyAsync() != "client-secret-2")
        {
            time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(10, patience.Token);
        }

        for (var i = 0; i < 3; i++)
        {
            await client.GetBlobContainerClient("lake").ExistsAsync();
        }

        await host.StopAsync();

        Assert.Equal(["client-secret-1", "client-secret-2"], platform.Created);
        Assert.All(storage.Tokens, t => Assert.Equal("token-for-client-secret-2", t));
        Assert.Equal(3, storage.Tokens.Count);
        Assert.Equal(ConnectionStatus.Ready, spn.Status);
    }

    [Fact]
    public async Task StorageRequest_ClientSecretRefusedAndVaultHoldsANewOne_ReadsTheVaultOnceAndHeals()
    {
        var platform = new IdentityPlatform();
        var storage = new RecordingStorage();
        using var host = Build(Json(), _server, b =>
        {
            b.Services.AddSingleton<StorageCredentialFactory>(platform);
            b.Services.AddOdibiConnections().ConfigureBlobClient(o => o.Transport = storage);
        }, output: output);
        await host.StartAsync();
        var client = host.Services.GetRequiredKeyedService<BlobServiceClient>("spn");
        var reads = _server.Vault(_vault).SecretRequestCount;

        _server.Vault(_vault).SetSecret("spn-secret", "client-secret-2"); // rotated, with no refresh configured
        platform.Refuse("client-secret-1");
        platform.ExpireTokens(); // the cached token ran out: the next request asks the platform, with the old secret
        await client.GetBlobContainerClient("lake").ExistsAsync();
        await client.GetBlobContainerClient("lake").ExistsAsync();
        await host.StopAsync();

        Assert.Equal(reads + 1, _server.Vault(_vault).SecretRequestCount); // one re-read for the refused secret
        Assert.Equal(["client-secret-1", "client-secret-2"], platform.Created);
        Assert.Equal("token-for-client-secret-2", storage.Tokens[^1]);
    }

    private string Json(string refresh = "") => OdibiJson($$"""
        "spn": { "Account": "spnstore", "Container": "lake", "AuthMode": "ServicePrincipal", "TenantId": "contoso.onmicrosoft.com",
                 "ClientId": "0b4a2a33-1e2f-4c5d-9a8b-7c6d5e4f3a21", "KeyVaultName": "{{_vault}}", "SecretName": "spn-secret" }
        """, refresh: refresh);

    /// <summary>Issues a token per client secret, refusing the ones it was told to, as the identity platform would.</summary>
    private sealed class IdentityPlatform : StorageCredentialFactory
    {
        private readonly ConcurrentDictionary<string, bool> _refused = new();
        private int _generation;

        public List<string> Created { get; } = [];

        public void Refuse(string clientSecret) => _refused[clientSecret] = true;

        public void ExpireTokens() => Interlocked.Increment(ref _generation);

        public override TokenCredential Create(AdlsConnection connection, string? clientSecret)
        {
            lock (Created)
            {
                Created.Add(clientSecret!);
            }

            return new Credential(this, clientSecret!);
        }

        private sealed class Credential(IdentityPlatform platform, string clientSecret) : TokenCredential
        {
            private AccessToken? _cached;
            private int _generation;

            public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
                GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
            {
                if (_cached is { } cached && _generation == Volatile.Read(ref platform._generation))
                {
                    return ValueTask.FromResult(cached); // as MSAL serves a cached token
                }

                if (platform._refused.ContainsKey(clientSecret))
                {
                    throw new AuthenticationFailedException("ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided.");
                }

                _generation = Volatile.Read(ref platform._generation);
                _cached = new AccessToken($"token-for-{clientSecret}", DateTimeOffset.UtcNow.AddHours(1));
                return ValueTask.FromResult(_cached.Value);
            }
        }
    }

    /// <summary>Answers every storage request 200 and records the bearer token it carried.</summary>
    private sealed class RecordingStorage : HttpPipelineTransport
    {
        private readonly HttpClientTransport _requests = new();

        public List<string> Tokens { get; } = [];

        public override Request CreateRequest() => _requests.CreateRequest();

        public override void Process(HttpMessage message) => ProcessAsync(message).AsTask().GetAwaiter().GetResult();

        public override ValueTask ProcessAsync(HttpMessage message)
        {
            message.Request.Headers.TryGetValue("Authorization", out var authorization);
            lock (Tokens)
            {
                Tokens.Add(authorization?["Bearer ".Length..] ?? "");
            }

            message.Response = new OkResponse(message.Request.ClientRequestId);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class OkResponse(string requestId) : Response
    {
        public override int Status => 200;

        public override string ReasonPhrase => "OK";

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; } = requestId;

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => false;

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => [];

        protected override bool TryGetHeader(string name, out string value)
        {
            value = "";
            return false;
        }

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            values = [];
            return false;
        }
    }
}
