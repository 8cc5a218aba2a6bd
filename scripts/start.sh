#!/usr/bin/env bash
# Starts the Mobile Voice Recording portal on embedded defaults:
# SQLite files under .data/, local file storage, demo organisation and numbers,
# demo sign-in, frontend and API on http://localhost:7007.
source "$(dirname "$0")/env.sh"
cd "$MVR_ROOT"
mvr_apt "${MVR_BUILD_PACKAGES[@]}" espeak-ng sox
mvr_install
mkdir -p .data
# Build the frontend bundle when it is missing or older than its sources.
if [ ! -f packages/app/dist/index.html ] || [ -n "$(find packages/app/src plugins/voice-recording/src plugins/voice-recording-common/src app-config.yaml -newer packages/app/dist/index.html -print -quit)" ]; then
  echo "[mvr] building the frontend" >&2
  yarn workspace app build
fi
echo "[mvr] starting the portal on http://localhost:7007 (sign in as alice, bob, carol, dave or erik)" >&2
cd packages/backend
# V8's platform pool (garbage-collection helpers) of one thread: with the default four,
# their bursts take the recorder's CPU from the event loop (docs/operations.md)
export NODE_OPTIONS="--v8-pool-size=1${NODE_OPTIONS:+ $NODE_OPTIONS}"
# OpenTelemetry metrics on http://127.0.0.1:9464/metrics (MVR_METRICS_HOST, MVR_METRICS_PORT,
# MVR_METRICS=off; docs/operations.md, "Metrics"), registered before the backend loads
exec yarn backstage-cli package start --require ./instrumentation.js --config ../../app-config.yaml "$@"
