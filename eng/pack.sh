#!/usr/bin/env bash
# Builds Odibi.Extensions and Odibi.Extensions.Testing into a local folder feed, .artifacts/packages, until they are
# published on nuget.org. The version is VersionPrefix in Directory.Build.props (the one place a release bumps it);
# extra arguments go to `dotnet pack` (e.g. -p:Version=0.2.0-preview.1). Prints one line for the shell:
#
#   eval "$(bash eng/pack.sh)"     # exports ODIBI_FEED, the feed folder, for `dotnet nuget add source "$ODIBI_FEED"`
set -euo pipefail
cd "$(dirname "$0")/.."
feed="$PWD/.artifacts/packages"
mkdir -p "$feed"
for project in src/Odibi.Extensions src/Odibi.Extensions.Testing; do
  dotnet pack "$project" -c Release -o "$feed" --nologo -v quiet "$@" >&2
done
echo "packages in $feed:" >&2
(cd "$feed" && ls -1 Odibi.Extensions*.nupkg | grep -v snupkg | sed 's/^/  /') >&2
echo "export ODIBI_FEED=\"$feed\""
