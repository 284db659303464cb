// A minimal API whose storage connections are ready before it serves: /health/live, /health/ready, /connections.
// In Development it runs against an in-process LocalKeyVault (LocalKeyVault:Fail=<connection> injects a 403).
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Odibi.Extensions;
using Odibi.Extensions.Testing;
using WebApi;

var builder = WebApplication.CreateBuilder(args);

if (builder.Configuration.GetValue("LocalKeyVault:Enabled", builder.Environment.IsDevelopment()))
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

app.Run();

/// <summary>The app's entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
