#!/usr/bin/env bash
# Azurite, the Azure Storage emulator, for the storage tests: installed from npm into .tools/azurite (git-ignored),
# blob service only, in memory, on a free local port.
#
#   eval "$(bash eng/azurite.sh start)"   # start in the background; prints export ODIBI_AZURITE_BLOB_URL=...
#   bash eng/azurite.sh stop              # stop the Azurite this script started
#
# Needs node and npm. Progress goes to stderr; stdout carries only the export line. ODIBI_AZURITE_PORT picks the port.
set -euo pipefail

version=3.35.0 # later versions need Node 21 or newer
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.tools/azurite"
main="$dir/node_modules/azurite/dist/src/blob/main.js"
pidfile="$dir/azurite.pid"
urlfile="$dir/azurite.url"

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null &&
    grep -q "azurite" "/proc/$(cat "$pidfile")/cmdline" 2>/dev/null
}

install() {
  if [ -f "$main" ] && [ "$(node -p "require('$dir/node_modules/azurite/package.json').version")" = "$version" ]; then
    return
  fi
  echo "installing azurite@$version into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$version" >&2
}

start() {
  if running; then
    echo "azurite is already running (pid $(cat "$pidfile"))" >&2
    echo "export ODIBI_AZURITE_BLOB_URL=$(cat "$urlfile")"
    return
  fi
  install
  local port="${ODIBI_AZURITE_PORT:-}"
  if [ -z "$port" ]; then
    port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  fi
  nohup node "$main" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence --silent \
    --skipApiVersionCheck --loose --disableTelemetry >"$dir/azurite.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pidfile"
  local url="http://127.0.0.1:$port/devstoreaccount1"
  echo "$url" >"$urlfile"
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "azurite exited while starting; its log:" >&2
      cat "$dir/azurite.log" >&2
      rm -f "$pidfile"
      exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "azurite $version is listening at $url (pid $pid)" >&2
      echo "export ODIBI_AZURITE_BLOB_URL=$url"
      return
    fi
    sleep 0.2
  done
  echo "azurite did not listen on port $port within 30 s; its log:" >&2
  cat "$dir/azurite.log" >&2
  kill "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  exit 1
}

stop() {
  if running; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    echo "azurite stopped (pid $pid)" >&2
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
