#!/usr/bin/env bash
# LocalKeyVault from other languages: starts the tool as README.md says, then drives it from the JavaScript SDK
# (@azure/keyvault-secrets + @azure/identity from npm) and the Python SDK (Debian's python3-azure under
# /usr/bin/python3) with the real vault URL through HTTPS_PROXY, DefaultAzureCredential through the tool's identity
# endpoint and the challenge's resource verified; stops it with SIGTERM. Exits non-zero on any failure.
#
#   bash eng/localkeyvault-check.sh
#
# Needs the .NET SDK, node and npm. python3-azure is installed with apt-get when CI=true and running as root;
# elsewhere the Python part fails with the install command when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
conformance="tools/LocalKeyVault/conformance"
work="$root/.artifacts/localkeyvault"
rm -rf "$work"
mkdir -p "$work"
status=0

echo "-- npm ci ($conformance)"
npm ci --prefix "$conformance" --no-audit --no-fund --loglevel=error >/dev/null

if ! /usr/bin/python3 -c 'import azure.keyvault.secrets, azure.identity' 2>/dev/null; then
  if [ "${CI:-}" = "true" ] && [ "$(id -u)" = "0" ]; then
    echo "-- apt-get install python3-azure"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-azure >/dev/null
  else
    echo "the Python check needs Debian's python3-azure: sudo apt-get install -y python3-azure" >&2
    exit 1
  fi
fi

cat >"$work/seed.json" <<'JSON'
{ "vaults": { "orders-kv": { "db-password": "from-seed" }, "lake-kv": { "sas": { "value": "sv=2022", "contentType": "text/plain" } } } }
JSON

# The command of the README block marked <!-- readme-check: localkeyvault -->, with this run's seed file and a free port.
command="$(awk -v marker="<!-- readme-check: localkeyvault -->" '
  $0 == marker { found = 1; next }
  found == 1 && /^```/ { found = 2; next }
  found == 2 && /^```/ { exit }
  found == 2 { print }' README.md)"
case "$command" in
  "dotnet run --project tools/LocalKeyVault -- "*"--seed secrets.json"*"--port 8443"*) ;;
  *) echo "README.md has no LocalKeyVault command marked <!-- readme-check: localkeyvault --> (with --seed secrets.json --port 8443)" >&2; exit 1 ;;
esac
command="${command/--seed secrets.json/--seed $work/seed.json}"
command="${command/--port 8443/--port 0 --env-file $work/env}"
echo "-- start (README.md, a free port): $command"
bash -c "exec $command" >"$work/tool.log" 2>&1 &
tool=$!
stop_tool() { kill -TERM "$tool" 2>/dev/null || true; }
trap stop_tool EXIT

for _ in $(seq 1 300); do
  grep -q "LocalKeyVault ready" "$work/tool.log" 2>/dev/null && break
  kill -0 "$tool" 2>/dev/null || break
  sleep 0.5
done
if ! grep -q "LocalKeyVault ready" "$work/tool.log"; then
  echo "LocalKeyVault did not print its ready line:" >&2
  cat "$work/tool.log" >&2
  exit 1
fi
grep "LocalKeyVault ready" "$work/tool.log"

# The clients see only what the ready line names: the proxy, NO_PROXY for the loopback, the identity endpoint and
# the CA variables; nothing else leaves the machine.
(
  unset HTTP_PROXY http_proxy https_proxy no_proxy ALL_PROXY all_proxy
  # shellcheck disable=SC1091
  . "$work/env"
  export LKV_ADMIN="${IDENTITY_ENDPOINT%/msi/token}/_admin/"
  echo "-- JavaScript (@azure/keyvault-secrets, @azure/identity DefaultAzureCredential)"
  node "$conformance/check.mjs" https://orders-kv.vault.azure.net
) || status=1
(
  unset HTTP_PROXY http_proxy https_proxy no_proxy ALL_PROXY all_proxy
  # shellcheck disable=SC1091
  . "$work/env"
  export LKV_ADMIN="${IDENTITY_ENDPOINT%/msi/token}/_admin/"
  echo "-- Python (python3-azure: azure-keyvault-secrets, azure-identity DefaultAzureCredential)"
  /usr/bin/python3 "$conformance/check.py" https://lake-kv.vault.azure.net
) || status=1

echo "-- stop (SIGTERM)"
trap - EXIT
kill -TERM "$tool"
code=0
wait "$tool" || code=$?
if [ "$code" -ne 0 ] || ! grep -q "LocalKeyVault stopped" "$work/tool.log"; then
  echo "LocalKeyVault did not stop cleanly on SIGTERM (exit $code):" >&2
  tail -n 20 "$work/tool.log" >&2
  status=1
fi

exit "$status"
