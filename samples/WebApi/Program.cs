// A minimal API whose storage connections are ready before it serves: /health/live, /health/ready, /connections.
// Local unless asked: it runs against an in-process LocalKeyVault however it is started (LocalKeyVault:Fail=<connection>
// injects a 403); --azure uses the vaults in appsettings.json with Odibi:Credential or DefaultAzureCredential.
//
//   dotnet run --project samples/WebApi          then: curl http://127.0.0.1:5080/health/ready
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Odibi.Extensions;
using Odibi.Extensions.Testing;
using WebApi;

var azure = args.Contains("--azure");
var builder = WebApplication.CreateBuilder([.. args.Where(a => a != "--azure")]);
var local = !azure && builder.Configuration.GetValue("LocalKeyVault:Enabled", true);
Console.WriteLine(local
    ? "WebApi: local Key Vault (in-process LocalKeyVault): no request leaves this machine; --azure uses Azure."
    : "WebApi: Azure Key Vault: the vaults in appsettings.json, signed in with Odibi:Credential or DefaultAzureCredential.");

if (local)
{
    var vault = await LocalKeyVault.StartAsync(new LocalKeyVaultOptions { Latency = TimeSpan.FromMilliseconds(150) });
    builder.Services.AddSingleton(vault); // stopped with the app
    vault.SeedSecrets(builder.Configuration);
    if (builder.Configuration["LocalKeyVault:Fail"] is { } fail)
    {
        var connection = builder.Configuration.GetSection($"Odibi:Connections:{fail}");
        vault.Vault(connection["KeyVaultName"]!).InjectFault(connection["SecretName"]!, LocalKeyVaultFault.Status(403).Always());
    }

    builder.Services.AddOdibiConnections().UseLocalKeyVault(vault);
}
else
{
    builder.Services.AddOdibiConnections();
}

builder.Services.AddHealthChecks().AddOdibiConnections(tags: ["ready"]);

var app = builder.Build();

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions
{
    Predicate = check => check.Tags.Contains("ready"),
    ResponseWriter = HealthJson.WriteAsync,
});

app.MapGet("/connections", (IAdlsConnections connections) => connections.Select(c => new
{
    c.Name,
    c.Account,
    c.Container,
    Uri = c.GetUri(),
    AuthMode = c.AuthMode.ToString(),
    Status = c.Status.ToString(),
    c.Optional,
}));

ConnectionLog.Attach(app); // the connections and their state once started, then every change (a retry, a refresh, a failed probe)

app.Run();

/// <summary>The app's entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
