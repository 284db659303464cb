#!/usr/bin/env bash
# The README is the test: follows README.md's Install and Configure sections as a new user would — the pack command
# (run in this repository), then the app's commands (run in a folder outside it), csproj lines, Program.cs and
# appsettings.json, all extracted from README.md (the blocks marked <!-- readme-check: ... -->), not copied here — and
# runs the app: it must start with every connection ready. Only isolation is added: a NuGet package folder of its own,
# so a package of the same version from an earlier run is never used. The real-Azure variant the README describes (without the
# Testing package and the local vault lines) is compiled too, and so is the minimal API block, as a new web app. Catches a missing dependency or step, a wrong target, an
# internal type leaking into the public API, and a README that no longer works as written.
set -euo pipefail
cd "$(dirname "$0")/.."
readme="$PWD/README.md"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The fenced block that follows the marker <!-- readme-check: NAME --> in README.md.
block() {
  awk -v marker="<!-- readme-check: $1 -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }' "$readme"
}
for name in pack commands csproj Program.cs appsettings.json webapi; do
  if [ -z "$(block "$name")" ]; then
    echo "README.md has no block marked <!-- readme-check: $name -->" >&2
    exit 1
  fi
done

echo "== README pack command (in this repository)"
block pack | tee "$work/pack.sh"
source "$work/pack.sh"
[ -n "${ODIBI_FEED:-}" ] && ls "$ODIBI_FEED"/Odibi.Extensions.*.nupkg "$ODIBI_FEED"/Odibi.Extensions.Testing.*.nupkg >/dev/null

echo "== README commands (outside this repository)"
export NUGET_PACKAGES="$work/nuget-packages"   # the app's restore: no stale copy of the same version from the machine's cache
block commands | tee "$work/commands.sh"
mkdir -p "$work/app"
(cd "$work/app" && bash -euo pipefail "$work/commands.sh") >/dev/null
app="$(find "$work/app" -mindepth 2 -maxdepth 2 -name '*.csproj' | head -n 1)"
[ -n "$app" ] || { echo "the README's commands created no project" >&2; exit 1; }
dir="$(dirname "$app")"

# "add to MyLake.csproj, inside <Project>"
csproj="$(block csproj)"
awk -v add="$csproj" '/<\/Project>/ { print add } { print }' "$app" > "$app.new" && mv "$app.new" "$app"
block Program.cs > "$dir/Program.cs"
block appsettings.json > "$dir/appsettings.json"

echo "== README app (local Key Vault)"
output="$(cd "$dir" && dotnet run --nologo)"
echo "$output"
if ! grep -Eq '^([0-9]+) of \1 connections ready in [0-9]+ ms' <<<"$output"; then
  echo "the README's app did not report every connection ready" >&2
  exit 1
fi

echo "== README app against real Azure (compiled only)"
(cd "$dir" && dotnet remove package Odibi.Extensions.Testing >/dev/null)
sed -i -e 's/o => o\.UseLocalKeyVault(vault)//' -e 's/\.UseLocalKeyVault(vault)//' -e '/^using Odibi.Extensions.Testing;$/d' -e '/\bvault\b/d' "$dir/Program.cs"
(cd "$dir" && dotnet build --nologo -v quiet -warnaserror)

echo "== README minimal API (a new web app, compiled)"
mkdir -p "$work/web"
(
  cd "$work/web"
  dotnet new web -o MyApi >/dev/null && cd MyApi
  dotnet new nugetconfig >/dev/null
  dotnet nuget add source "$ODIBI_FEED" --name odibi-local >/dev/null
  dotnet add package Odibi.Extensions >/dev/null
  block webapi > Program.cs
  dotnet build --nologo -v quiet -warnaserror
)
