#!/usr/bin/env bash
# The README is the test: packs Odibi.Extensions and Odibi.Extensions.Testing into a temporary feed, then follows
# README.md's Install and Configure sections as a new user would — their commands, csproj lines, Program.cs and
# appsettings.json are extracted from README.md (the blocks marked <!-- readme-check: ... -->), not copied here — and
# runs the app: it must start with every connection ready. The real-Azure variant the README describes (without the
# Testing package and the local vault lines) is compiled too. Catches a missing dependency or step, a wrong target, an
# internal type leaking into the public API, and a README that no longer works as written.
set -euo pipefail
cd "$(dirname "$0")/.."
readme="$PWD/README.md"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.1.0-check.$(date +%s)"   # a new version each run, so no stale copy from the NuGet cache is used

# The fenced block that follows the marker <!-- readme-check: NAME --> in README.md.
block() {
  awk -v marker="<!-- readme-check: $1 -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }' "$readme"
}
for name in commands csproj Program.cs appsettings.json; do
  if [ -z "$(block "$name")" ]; then
    echo "README.md has no block marked <!-- readme-check: $name -->" >&2
    exit 1
  fi
done

for project in src/Odibi.Extensions src/Odibi.Extensions.Testing; do
  dotnet pack "$project" -c Release -o "$work/feed" -p:Version="$version" --nologo -v quiet
done
ls "$work/feed"/Odibi.Extensions."$version".nupkg "$work/feed"/Odibi.Extensions.Testing."$version".nupkg >/dev/null

cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML

# The README's commands, as written; only the Odibi packages are pinned to the version just packed.
block commands | sed -E "s/^(dotnet add package Odibi\.Extensions(\.Testing)?)( |$)/\1 --version $version\3/" > "$work/commands.sh"
echo "== README commands"
cat "$work/commands.sh"
(cd "$work" && bash -euo pipefail commands.sh) >/dev/null
app="$(find "$work" -mindepth 2 -maxdepth 2 -name '*.csproj' -not -path "$work/feed/*" | head -n 1)"
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
sed -i -e 's/\.UseLocalKeyVault(vault)//' -e '/^using Odibi.Extensions.Testing;$/d' -e '/\bvault\b/d' "$dir/Program.cs"
(cd "$dir" && dotnet build --nologo -v quiet -warnaserror)
