#!/usr/bin/env bash
# The demo portal for the README screenshots: backend + built frontend, a fresh SQLite
# database with the demo data (and its generated demo calls), on the given port.
# Stops the backend and deletes the data directory on SIGTERM/SIGINT or when it exits.
source "$(dirname "$0")/../../scripts/env.sh"
PORT="${1:-7047}"
DATA="$(mktemp -d /tmp/mvr-screenshots-XXXXXX)"
export MVR_E2E_PORT="$PORT" MVR_E2E_DATA="$DATA"
export NODE_ENV=development
export ESBK_TSCONFIG_PATH="$MVR_ROOT/tsconfig.json"

BACKEND_PID=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$BACKEND_PID" ] && kill -0 "$BACKEND_PID" 2>/dev/null; then
    kill -TERM "$BACKEND_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$BACKEND_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$BACKEND_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT

cd "$MVR_ROOT/packages/backend"
node --enable-source-maps \
  --require "$MVR_ROOT/node_modules/@backstage/cli-node/config/nodeTransform.cjs" \
  src/index \
  --config ../../app-config.yaml --config ../../app-config.e2e.yaml \
  --config ../../docs/screenshots/app-config.screenshots.yaml &
BACKEND_PID=$!
wait "$BACKEND_PID"
