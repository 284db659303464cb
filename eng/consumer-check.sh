#!/usr/bin/env bash
# Packs Odibi.Extensions and Odibi.Extensions.Testing into a temporary feed, builds a fresh console app outside the
# solution that takes them by version (as users do), and runs it: it must prefetch its secrets and exit 0.
# Catches a missing dependency, a wrong target or an internal type leaking into the public API.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.1.0-check.$(date +%s)"   # a new version each run, so no stale copy from the NuGet cache is used

for project in src/Odibi.Extensions src/Odibi.Extensions.Testing; do
  dotnet pack "$project" -c Release -o "$work/feed" -p:Version="$version" --nologo -v quiet
done
ls "$work/feed"/Odibi.Extensions."$version".nupkg "$work/feed"/Odibi.Extensions.Testing."$version".nupkg >/dev/null

mkdir -p "$work/consumer"
cat > "$work/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > "$work/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Odibi.Extensions" Version="$version" />
    <PackageReference Include="Odibi.Extensions.Testing" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.15" />
  </ItemGroup>
  <ItemGroup>
    <None Update="appsettings.json" CopyToOutputDirectory="PreserveNewest" />
  </ItemGroup>
</Project>
XML
cat > "$work/consumer/appsettings.json" <<'JSON'
{
  "Logging": { "LogLevel": { "Default": "Warning", "Azure.Core": "Error" } },
  "Odibi": {
    "Connections": {
      "bronze": { "Account": "dlsbronzeprod001", "Container": "bronze", "AuthMode": "KeyVault",
                  "KeyVaultName": "my-production-kv", "SecretName": "bronze-storage-key" },
      "silver": { "Account": "dlssilverprod002", "Container": "silver", "AuthMode": "KeyVault",
                  "KeyVaultName": "my-production-kv", "SecretName": "silver-storage-key" }
    }
  }
}
JSON
cat > "$work/consumer/Program.cs" <<'CS'
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Odibi.Extensions;
using Odibi.Extensions.Testing;

await using var vault = await LocalKeyVault.StartAsync();
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
vault.SeedSecrets(builder.Configuration);
builder.Services.AddOdibiConnections().UseLocalKeyVault(vault);
builder.Services.AddHealthChecks().AddOdibiConnections();

using var host = builder.Build();
await host.StartAsync();
var report = host.Services.GetRequiredService<IAdlsConnections>().LastPrefetch;
Console.WriteLine($"consumer: {report}, {vault.Credential.Count} token request(s)");
await host.StopAsync();
return report is { AllSucceeded: true, Results.Count: 2 } && vault.Credential.Count == 1 ? 0 : 1;
CS

dotnet run --project "$work/consumer/Consumer.csproj" --nologo
