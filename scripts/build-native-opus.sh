#!/usr/bin/env bash
# Builds the optional native libopus binding of @mvr/plugin-voice-recording-node
# (plugins/voice-recording-node/native: N-API, links the system's libopus). The recorder's
# Opus archive uses it when it loads (about half the CPU of the WASM build per frame) and
# the WASM build (opusscript) otherwise, so a missing libopus-dev, compiler or node-gyp is
# not an error: the script says so and exits 0.
#   bash scripts/build-native-opus.sh              # (re)build
#   bash scripts/build-native-opus.sh --if-missing # only when absent or older than its source (scripts/env.sh)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/plugins/voice-recording-node/native"
OUT="$DIR/build/Release/mvr_opus.node"
if [ "${1:-}" = "--if-missing" ] && [ -f "$OUT" ] && [ "$OUT" -nt "$DIR/mvr_opus.c" ]; then exit 0; fi
if [ ! -f /usr/include/opus/opus.h ]; then
  echo "[mvr] libopus-dev is not installed: the Opus archive encodes with the WASM build (install libopus-dev and run scripts/build-native-opus.sh for the native one)" >&2
  exit 0
fi
# Node, and the headers node-gyp builds against (it cannot download them here), as the other scripts get them
if [ -z "${npm_config_nodedir:-}" ]; then
  # shellcheck source=env.sh
  source "$ROOT/scripts/env.sh"
  set +e
fi
GYP="$ROOT/node_modules/.bin/node-gyp"
if [ ! -x "$GYP" ] || ! command -v node >/dev/null 2>&1; then
  echo "[mvr] node-gyp or node missing (yarn install first): the Opus archive encodes with the WASM build" >&2
  exit 0
fi
(
  # one build at a time (several shells may source env.sh at once)
  exec 9>"$DIR/.build.lock"
  flock 9
  if [ "${1:-}" = "--if-missing" ] && [ -f "$OUT" ] && [ "$OUT" -nt "$DIR/mvr_opus.c" ]; then exit 0; fi
  echo "[mvr] building the native libopus binding ($DIR)" >&2
  cd "$DIR" && "$GYP" rebuild >"$DIR/.build.log" 2>&1
) || echo "[mvr] the native libopus binding did not build (see $DIR/.build.log): the Opus archive encodes with the WASM build" >&2
exit 0
