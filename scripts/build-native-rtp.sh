#!/usr/bin/env bash
# Builds the optional native RTP receiver of @mvr/plugin-voice-recording-backend-module-siprec
# (plugins/voice-recording-backend-module-siprec/native: N-API, Linux epoll + recvmmsg on a
# background thread, datagrams handed to JavaScript in batches). The recorder uses it when it
# loads and node:dgram otherwise (docs/recorder.md, MVR_RTP_IMPL), so a missing compiler,
# node-gyp or Linux is not an error: the script says so and exits 0.
#   bash scripts/build-native-rtp.sh              # (re)build
#   bash scripts/build-native-rtp.sh --if-missing # only when absent or older than its source (scripts/env.sh)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/plugins/voice-recording-backend-module-siprec/native"
OUT="$DIR/build/Release/mvr_rtp.node"
fresh() { [ -f "$OUT" ] && [ "$OUT" -nt "$DIR/mvr_rtp.c" ] && [ "$OUT" -nt "$DIR/mvr_syncfs.c" ] && [ "$OUT" -nt "$DIR/binding.gyp" ]; }
if [ "${1:-}" = "--if-missing" ] && fresh; then exit 0; fi
if [ "$(uname -s)" != Linux ]; then
  echo "[mvr] the native RTP receiver is Linux only: the recorder receives RTP with node:dgram" >&2
  exit 0
fi
# Node, and the headers node-gyp builds against (it cannot download them here), as the other scripts get them
if [ -z "${npm_config_nodedir:-}" ]; then
  # shellcheck source=env.sh
  source "$ROOT/scripts/env.sh"
  set +e
fi
GYP="$ROOT/node_modules/.bin/node-gyp"
if [ ! -x "$GYP" ] || ! command -v node >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  echo "[mvr] node-gyp, node or a C compiler missing: the recorder receives RTP with node:dgram" >&2
  exit 0
fi
(
  # one build at a time (several shells may source env.sh at once)
  exec 9>"$DIR/.build.lock"
  flock 9
  if [ "${1:-}" = "--if-missing" ] && fresh; then exit 0; fi
  echo "[mvr] building the native RTP receiver ($DIR)" >&2
  cd "$DIR" && "$GYP" rebuild >"$DIR/.build.log" 2>&1
) || echo "[mvr] the native RTP receiver did not build (see $DIR/.build.log): the recorder receives RTP with node:dgram" >&2
exit 0
