#!/usr/bin/env bash
# Starts the portal in production mode for the production sign-in browser test
# (packages/app/e2e-tests/oidc-sign-in.test.ts): a local OpenID Connect provider
# (packages/app/e2e-tests/oidc/testIdentityProvider.mjs, the `oidc-provider` package)
# and the backend with NODE_ENV=production, app-config.production.yaml and
# app-config.e2e-production.yaml (fresh SQLite database, no recorder), serving the
# built frontend (packages/app/dist) on the given port.
#
# Usage: scripts/e2e-production-server.sh [PORT [IDP_PORT]]  (default 7027 7028)
# Stops both and deletes the database directory on SIGTERM/SIGINT or when one exits.
source "$(dirname "$0")/env.sh"
PORT="${1:-7027}"
IDP_PORT="${2:-7028}"
if [ ! -f "$MVR_ROOT/packages/app/dist/index.html" ]; then
  echo "[mvr] packages/app/dist is missing: run 'yarn workspace app build' first" >&2
  exit 1
fi
DATA="$(mktemp -d /tmp/mvr-e2e-production-XXXXXX)"
secret() { node -e "process.stdout.write(require('crypto').randomBytes(24).toString('hex'))"; }

export MVR_E2E_PORT="$PORT" MVR_E2E_DATA="$DATA"
export APP_BASE_URL="http://localhost:$PORT"
export AUTH_SESSION_SECRET="$(secret)"
export AUTH_OIDC_METADATA_URL="http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration"
export AUTH_OIDC_CLIENT_ID="mvr-portal-e2e"
export AUTH_OIDC_CLIENT_SECRET="$(secret)"
export MVR_NETWORK_TOKEN="$(secret)"
export ESBK_TSCONFIG_PATH="$MVR_ROOT/tsconfig.json"

IDP_PID=""
BACKEND_PID=""
stop() {
  local pid="$1"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}
cleanup() {
  trap - EXIT INT TERM
  stop "$BACKEND_PID"
  stop "$IDP_PID"
  rm -rf "$DATA"
}
trap cleanup EXIT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT

cd "$MVR_ROOT"
MVR_OIDC_PORT="$IDP_PORT" \
  MVR_OIDC_CLIENT_ID="$AUTH_OIDC_CLIENT_ID" \
  MVR_OIDC_CLIENT_SECRET="$AUTH_OIDC_CLIENT_SECRET" \
  MVR_OIDC_REDIRECT_URI="$APP_BASE_URL/api/auth/oidc/handler/frame" \
  node packages/app/e2e-tests/oidc/testIdentityProvider.mjs &
IDP_PID=$!
# The auth backend reads the provider's metadata once at startup: wait for it.
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "$AUTH_OIDC_METADATA_URL" && break
  kill -0 "$IDP_PID" 2>/dev/null || { echo "[mvr] the test OpenID provider exited" >&2; exit 1; }
  sleep 0.2
done
curl -sf -o /dev/null "$AUTH_OIDC_METADATA_URL" || { echo "[mvr] the test OpenID provider is not answering" >&2; exit 1; }

# Production mode, from the repository root as in the deployed image.
export NODE_ENV=production
echo "[mvr] production e2e backend on port $PORT (OpenID provider on $IDP_PORT), database in $DATA" >&2
node --enable-source-maps \
  --require "$MVR_ROOT/node_modules/@backstage/cli-node/config/nodeTransform.cjs" \
  packages/backend/src/index \
  --config app-config.yaml --config app-config.production.yaml \
  --config app-config.e2e-production.yaml &
BACKEND_PID=$!
# Ends when either process does (the cleanup then stops the other).
wait -n "$BACKEND_PID" "$IDP_PID"
