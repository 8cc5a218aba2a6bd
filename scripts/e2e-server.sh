#!/usr/bin/env bash
# Starts the portal for browser tests: backend + built frontend (packages/app/dist),
# a fresh SQLite database with the demo data, on the given port.
#
# Runs the backend once, without the CLI's file watcher (`backstage-cli package start`
# restarts on every source change, which would drop the server and its fresh database
# in the middle of a test run). Stops the backend and deletes the database directory
# on SIGTERM/SIGINT (Playwright's gracefulShutdown) or when the backend exits.
source "$(dirname "$0")/env.sh"
PORT="${1:-7017}"
if [ ! -f "$MVR_ROOT/packages/app/dist/index.html" ]; then
  echo "[mvr] packages/app/dist is missing: run 'yarn workspace app build' first" >&2
  exit 1
fi
DATA="$(mktemp -d /tmp/mvr-e2e-XXXXXX)"
export MVR_E2E_PORT="$PORT" MVR_E2E_DATA="$DATA"
export NODE_ENV="${NODE_ENV:-development}"
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

# A second portal beside CI's (or another developer's) needs its own SIP and RTP ports:
# MVR_E2E_SIP_PORT (the test caller reads it too) and MVR_E2E_RTP_MIN (1,000 ports).
EXTRA_CONFIG=()
if [ -n "${MVR_E2E_SIP_PORT:-}" ]; then
  RTP_MIN="${MVR_E2E_RTP_MIN:-33000}"
  cat >"$DATA/ports.yaml" <<EOF
voiceRecording:
  recorder:
    sip:
      port: $MVR_E2E_SIP_PORT
    rtp:
      portMin: $RTP_MIN
      portMax: $((RTP_MIN + 999))
EOF
  EXTRA_CONFIG=(--config "$DATA/ports.yaml")
fi

cd "$MVR_ROOT/packages/backend"
echo "[mvr] e2e backend on port $PORT, database in $DATA" >&2
node --enable-source-maps \
  --require "$MVR_ROOT/node_modules/@backstage/cli-node/config/nodeTransform.cjs" \
  src/index \
  --config ../../app-config.yaml --config ../../app-config.e2e.yaml "${EXTRA_CONFIG[@]}" &
BACKEND_PID=$!
wait "$BACKEND_PID"
