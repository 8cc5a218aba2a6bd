#!/usr/bin/env bash
# Starts the portal for browser tests: fresh SQLite database, demo data, given port.
source "$(dirname "$0")/env.sh"
PORT="${1:-7017}"
DATA="$(mktemp -d /tmp/mvr-e2e-XXXXXX)"
export MVR_E2E_PORT="$PORT" MVR_E2E_DATA="$DATA"
cd "$MVR_ROOT/packages/backend"
exec yarn backstage-cli package start --config ../../app-config.yaml --config ../../app-config.e2e.yaml
