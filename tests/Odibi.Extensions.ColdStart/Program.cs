// A service's startup, measured from process launch by `Odibi.Extensions.Benchmarks -- --cold-start`:
//
//   Odibi.Extensions.ColdStart --connections N --vault https://127.0.0.1:PORT/ --pin SHA256 --vault-name NAME [--token-ms T]
//   [--sync-calls BLOB-URL] [--plain-sdk] | --tls-probe --vault URL --pin SHA256
//
// builds a default generic host with N Key Vault connections in one vault (N = 0: a bare host, no Odibi), starts it,
// and prints when the prefetch was done and when the host had started, as UTC ticks, for the harness to subtract its
// launch time from. The vault is a LocalKeyVault in the harness process: requests for https://{NAME}.vault.azure.net
// go to it over HTTPS, its self-signed certificate pinned by its SHA-256 hash. The token credential takes T ms.
// --plain-sdk builds the same host without Odibi and then reads the N secrets with one SecretClient, all at once (the
// control); --tls-probe makes one HTTPS request and nothing else (the first-TLS cost of a cold process).
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Odibi.Extensions;
using Odibi.Extensions.ColdStart;

var settings = ColdStartArguments.Parse(args);
if (settings.TlsProbe)
{
    // What no library can remove: a cold process's first HTTPS request (the TLS library, the trusted roots, a handshake).
    await PlainSdk.FirstHttpsAsync(settings.Vault!, settings.Pin!);
    var done = DateTime.UtcNow.Ticks;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: prefetch-done {done}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: host-started {done}"));
    Console.WriteLine("coldstart: ready 0 of 0");
    return 0;
}

var marks = new StartupMarks();
var credential = new DelayedTokenCredential(TimeSpan.FromMilliseconds(settings.TokenMs));

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddInMemoryCollection(settings.Configuration());
if (settings.Connections > 0 && !settings.PlainSdk)
{
    builder.Services.AddOdibiConnections()
        .UseCredential(credential)
        .ConfigureSecretClient(options => LocalVaultRoute.Configure(options, settings.Vault!, settings.Pin!));
}

// Registered after the Odibi startup service, so its StartingAsync runs once the prefetch is done.
builder.Services.AddSingleton<IHostedService>(marks);

using var host = builder.Build();
if (settings.SyncCallsBlob is not null)
{
    // Not started: no prefetch, so each connection's first synchronous request reads its key from the vault.
    return SyncCalls.Run(host.Services, settings.Connections, settings.SyncCallsBlob, settings.SyncPlain);
}

await host.StartAsync();
marks.HostStarted = DateTime.UtcNow.Ticks;

var ready = 0;
if (settings.PlainSdk)
{
    // The control: the same host, then one SecretClient reading the same N secrets in parallel, as apps do without Odibi.
    ready = await PlainSdk.ReadAllAsync(settings, credential);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: prefetch-done {DateTime.UtcNow.Ticks}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: token-requests {credential.Count}"));
}
else if (settings.Connections > 0)
{
    var report = host.Services.GetRequiredService<IAdlsConnections>().LastPrefetch;
    ready = report?.Succeeded ?? 0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: prefetch-ms {report?.Elapsed.TotalMilliseconds:F1}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: prefetch-done {marks.PrefetchDone}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: token-requests {credential.Count}"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: host-started {marks.HostStarted}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart: ready {ready} of {settings.Connections}"));
await host.StopAsync();
return ready == settings.Connections ? 0 : 1;
