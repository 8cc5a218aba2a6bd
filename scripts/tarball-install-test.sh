#!/usr/bin/env bash
# The installation proof: the packed tarballs (not workspace links) installed into a
# separate minimal Backstage portal outside this repository, as docs/installation.md
# says, started on SQLite; then a signed-in user gets the voice-recording page, an
# admin creates a number through the API, a SIPREC call is recorded and listed.
#
#   bash scripts/tarball-install-test.sh
#
# Environment:
#   MVR_TARBALLS=<dir>  use the tarballs already in <dir> instead of packing (faster reruns)
#   MVR_KEEP=1          keep the temporary portal (its path is printed) for inspection
#
# Prints what it checks, exits non-zero on the first failure, stops what it started
# and deletes what it wrote (also on failure).
source "$(dirname "$0")/env.sh"
cd "$MVR_ROOT"

FIXTURE="$MVR_ROOT/scripts/tarball-install-test"
WORK="$(mktemp -d /tmp/mvr-adopter-XXXXXX)"
PORTAL="$WORK/portal"
LOG="$WORK/backend.log"
BACKEND_PID=""
CACHE_DIR="$(yarn config get cacheFolder 2>/dev/null || echo "$HOME/.yarn/berry/cache")"
CACHE_BEFORE="$WORK/cache-before.txt"
ls "$CACHE_DIR" 2>/dev/null | grep '^@mvr-' | sort > "$CACHE_BEFORE" || true
STARTED=$SECONDS

say() { echo "[tarball-install] $*"; }
fail() {
  echo "[tarball-install] FAILED: $*" >&2
  if [ -f "$LOG" ]; then
    echo "--- last lines of the backend log ($LOG) ---" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

cleanup() {
  local rc=$?
  if [ -n "$BACKEND_PID" ] && kill -0 "$BACKEND_PID" 2>/dev/null; then
    kill -TERM "$BACKEND_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$BACKEND_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$BACKEND_PID" 2>/dev/null || true
  fi
  # the @mvr tarballs this run put into Yarn's cache (their paths are unique per run)
  if [ -d "$CACHE_DIR" ]; then
    { ls "$CACHE_DIR" | grep '^@mvr-' | sort | comm -13 "$CACHE_BEFORE" - || true; } | while read -r f; do
      rm -f "$CACHE_DIR/$f"
    done
  fi
  if [ "${MVR_KEEP:-}" = 1 ]; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_tcp_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# 1. The tarballs (docs/installation.md step 1).
if [ -n "${MVR_TARBALLS:-}" ]; then
  TARBALLS="$(cd "$MVR_TARBALLS" && pwd)"
  say "1. using the tarballs in $TARBALLS"
else
  TARBALLS="$WORK/tarballs"
  say "1. packing the plugins (scripts/pack-plugins.sh)"
  bash scripts/pack-plugins.sh "$TARBALLS" || fail "packing the plugins"
fi
# Copied to a path unique to this run: Yarn caches file: tarballs by their path.
mkdir -p "$WORK/packages"
cp "$TARBALLS"/*.tgz "$WORK/packages/"
count=$(ls "$WORK/packages"/*.tgz | wc -l)
expected=$(ls -d plugins/*/package.json | wc -l)
[ "$count" -eq "$expected" ] || fail "$count tarballs for $expected packages under plugins/"
for t in "$WORK/packages"/*.tgz; do
  if tar xzf "$t" -O package/package.json | grep -q '"workspace:'; then
    fail "$(basename "$t"): package.json still has workspace: versions (prepack did not rewrite them)"
  fi
done
say "   ok: $count tarballs, no workspace: versions left in their package.json"

# 2. The adopter's portal, outside the repository.
say "2. creating the adopter portal in $PORTAL"
mkdir -p "$PORTAL"
cp -R "$FIXTURE/adopter/." "$PORTAL/"
node "$FIXTURE/make-adopter.js" "$MVR_ROOT" "$PORTAL" "$WORK/packages" || fail "writing the portal's package.json files"
mkdir -p "$PORTAL/.yarn/releases"
YARN_RELEASE="$(sed -n 's/^yarnPath: *//p' .yarnrc.yml)"
cp "$YARN_RELEASE" "$PORTAL/.yarn/releases/"
# enableNetwork false: the install takes only what this repository's install already
# put into Yarn's cache, plus the tarballs (it fails rather than download anything).
cat > "$PORTAL/.yarnrc.yml" <<EOF
nodeLinker: node-modules
yarnPath: .yarn/releases/$(basename "$YARN_RELEASE")
enableNetwork: false
EOF
# The versions this repository resolved (and has in Yarn's cache): an adopter on the
# same Backstage release; the @mvr packages are not in it and resolve to the tarballs.
cp yarn.lock "$PORTAL/yarn.lock"
cp "$FIXTURE/place-call.js" "$PORTAL/packages/backend/place-call.js"

HTTP_PORT="$(free_tcp_port)"
DATA="$WORK/data"
mkdir -p "$DATA"
cat > "$PORTAL/app-config.test.yaml" <<EOF
app:
  baseUrl: http://localhost:$HTTP_PORT
backend:
  baseUrl: http://localhost:$HTTP_PORT
  listen: { host: 127.0.0.1, port: $HTTP_PORT }
  database:
    client: better-sqlite3
    connection: { directory: '$DATA/db' }
catalog:
  locations:
    - type: file
      target: $PORTAL/catalog/org.yaml
voiceRecording:
  storage:
    local: { directory: '$DATA/recordings' }
  recorder:
    bindAddress: 127.0.0.1
    advertisedAddress: 127.0.0.1
    instanceId: adopter-test
    sip: { port: 0, transports: [udp] }
    rtp: { portMin: null, portMax: null }
    storage:
      journalDir: '$DATA/journal'
      archiveDir: '$DATA/recordings'
      minFreeMegabytes: 1
EOF

# 3. Install as docs/installation.md steps 2-4 say (from tarballs: name@^version),
#    build the frontend, start the backend.
range_of() { # the version range to add a package with, from its tarball
  local f
  for f in "$WORK/packages"/*.tgz; do
    tar xzf "$f" -O package/package.json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s);if(p.name===process.argv[1])console.log(`${p.name}@^${p.version}`)})' "$1"
  done
}
BACKEND_ADD=()
for n in @mvr/plugin-voice-recording-backend @mvr/plugin-voice-recording-backend-module-siprec \
  @mvr/plugin-catalog-backend-module-voice-recording @mvr/plugin-permission-backend-module-voice-recording; do
  BACKEND_ADD+=("$(range_of "$n")")
done
APP_ADD=("$(range_of @mvr/plugin-voice-recording)")
export YARN_ENABLE_IMMUTABLE_INSTALLS=false
say "3. yarn --cwd packages/backend add ${BACKEND_ADD[*]}"
t0=$SECONDS
(cd "$PORTAL" && yarn --cwd packages/backend add "${BACKEND_ADD[@]}" > "$WORK/install.log" 2>&1) \
  || { tail -n 40 "$WORK/install.log" >&2; fail "yarn add in packages/backend"; }
say "   ok: installed in $((SECONDS - t0)) s"
say "   yarn --cwd packages/app add ${APP_ADD[*]}"
t0=$SECONDS
(cd "$PORTAL" && yarn --cwd packages/app add "${APP_ADD[@]}" > "$WORK/install-app.log" 2>&1) \
  || { tail -n 40 "$WORK/install-app.log" >&2; fail "yarn add in packages/app"; }
say "   ok: installed in $((SECONDS - t0)) s"
# The SQLite binding (not built by the install, see make-adopter.js): the same version's
# binary from this repository's install, else compiled here.
SQLITE_DIR="$PORTAL/node_modules/better-sqlite3"
want_v="$(node -p "require('$SQLITE_DIR/package.json').version")"
have_v="$(node -p "require('$MVR_ROOT/node_modules/better-sqlite3/package.json').version" 2>/dev/null || true)"
if [ "$want_v" = "$have_v" ] && [ -f "$MVR_ROOT/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
  mkdir -p "$SQLITE_DIR/build/Release"
  cp "$MVR_ROOT/node_modules/better-sqlite3/build/Release/better_sqlite3.node" "$SQLITE_DIR/build/Release/"
  say "   better-sqlite3 $want_v: binding copied from the repository's install"
else
  say "   better-sqlite3 $want_v: compiling the binding (the repository has ${have_v:-none})"
  (cd "$SQLITE_DIR" && "$MVR_ROOT/node_modules/.bin/node-gyp" rebuild --release > "$WORK/sqlite-build.log" 2>&1) \
    || { tail -n 20 "$WORK/sqlite-build.log" >&2; fail "compiling better-sqlite3"; }
fi
(cd "$PORTAL/packages/backend" && node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()') \
  || fail "better-sqlite3 does not load in the portal"
node - "$PORTAL" <<'EOF' || fail "the @mvr packages are not installed from their tarballs"
const fs = require('node:fs');
const path = require('node:path');
const portal = process.argv[2];
const dir = path.join(portal, 'node_modules/@mvr');
const names = fs.readdirSync(dir);
const lock = fs.readFileSync(path.join(portal, 'yarn.lock'), 'utf8');
for (const n of names) {
  const p = path.join(dir, n);
  if (fs.lstatSync(p).isSymbolicLink()) throw new Error(`@mvr/${n} is a link`);
  if (fs.existsSync(path.join(p, 'src'))) throw new Error(`@mvr/${n} has sources`);
  const pkg = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8'));
  if (!/^(\.\/)?dist\//.test(pkg.main)) throw new Error(`@mvr/${n} main is ${pkg.main}`);
  if (!lock.includes(`"@mvr/${n}@file:`)) throw new Error(`@mvr/${n} is not locked to a file: tarball`);
}
if (names.length < 7) throw new Error(`only ${names.join(', ')} installed`);
console.log(`[tarball-install]    ok: ${names.length} @mvr packages in node_modules, each from its tarball (dist/, no sources, no links)`);
EOF

say "   building the frontend (backstage-cli package build)"
t0=$SECONDS
(
  cd "$PORTAL/packages/app"
  yarn backstage-cli package build --config ../../app-config.yaml --config ../../app-config.test.yaml > "$WORK/build.log" 2>&1
) || { tail -n 40 "$WORK/build.log" >&2; fail "building the frontend"; }
[ -f "$PORTAL/packages/app/dist/index.html" ] || fail "the frontend build wrote no dist/index.html"
say "   ok: frontend built in $((SECONDS - t0)) s"

say "   starting the backend on SQLite (http://localhost:$HTTP_PORT)"
(
  cd "$PORTAL/packages/backend"
  exec env NODE_ENV=development node --require @backstage/cli/config/nodeTransform.cjs src/index.ts \
    --config ../../app-config.yaml --config ../../app-config.test.yaml
) > "$LOG" 2>&1 &
BACKEND_PID=$!
SIP_PORT=""
for _ in $(seq 1 240); do
  kill -0 "$BACKEND_PID" 2>/dev/null || fail "the backend exited during startup"
  SIP_PORT="$(sed -n 's/.*SIPREC recorder listening on [^ ]* udp\/\([0-9]*\).*/\1/p' "$LOG" | head -1)"
  if [ -n "$SIP_PORT" ] && curl -fsS "http://127.0.0.1:$HTTP_PORT/.backstage/health/v1/readiness" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
[ -n "$SIP_PORT" ] || fail "the SIPREC recorder did not start listening"
curl -fsS "http://127.0.0.1:$HTTP_PORT/.backstage/health/v1/readiness" >/dev/null || fail "the backend is not ready"
say "   ok: backend ready, SIPREC recorder on udp/$SIP_PORT"

# 4. Checks.
API="http://127.0.0.1:$HTTP_PORT/api"
RECORDED='+32470123456'
OTHER='+32499000001'

token_of() {
  # signs in through the portal's own provider; the user must be in the catalog
  local user="$1" body
  for _ in $(seq 1 120); do
    body="$(curl -sS -H "x-adopter-user: $user" -H 'X-Requested-With: XMLHttpRequest' "$API/auth/adopter/refresh" || true)"
    if echo "$body" | grep -q '"token"'; then
      echo "$body" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).backstageIdentity.token))'
      return 0
    fi
    sleep 0.5
  done
  echo "sign-in of $user: $body" >&2
  return 1
}
ALICE="$(token_of alice)" || fail "alice cannot sign in (catalog user not ingested?)"
BOB="$(token_of bob)" || fail "bob cannot sign in"
say "4. ok: alice (compliance) and bob signed in, resolved to their catalog users"

NUMBER_BODY="$(cat <<EOF
{"number":"$RECORDED","userRef":"user:default/bob","mvrActive":true,
 "settings":{"statusMode":"manual","activeStatus":"professional","simultaneousCalls":true},
 "slots":[{"weekdays":[1,2,3,4,5,6,7],"start":"00:00","end":"24:00"}]}
EOF
)"
status="$(curl -sS -o "$WORK/bob-create.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $BOB" \
  -H 'Content-Type: application/json' -d "$NUMBER_BODY" "$API/voice-recording/numbers")"
[ "$status" = 403 ] || fail "bob (not an admin) creating a number got $status, expected 403: $(cat "$WORK/bob-create.json")"
say "   ok: bob (standard user) may not create a number (403)"
status="$(curl -sS -o "$WORK/created.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $ALICE" \
  -H 'Content-Type: application/json' -d "$NUMBER_BODY" "$API/voice-recording/numbers")"
[ "$status" = 201 ] || fail "alice creating $RECORDED got $status: $(cat "$WORK/created.json")"
grep -q "\"$RECORDED\"" "$WORK/created.json" || fail "the created number is not in the answer: $(cat "$WORK/created.json")"
say "   ok: alice (admin) created $RECORDED for bob through POST /api/voice-recording/numbers (201)"

CALL_ID="$(cd "$PORTAL/packages/backend" && node place-call.js "$SIP_PORT" "$RECORDED" "$OTHER")" \
  || fail "the SIPREC call to udp/$SIP_PORT was not recorded"
say "   ok: SIPREC call $CALL_ID answered 200, 3 s of RTP on both streams, BYE 200 (the testing client from the installed tarball)"

listed=""
for _ in $(seq 1 60); do
  curl -sS -H "Authorization: Bearer $ALICE" "$API/voice-recording/conversations" > "$WORK/conversations.json" || true
  listed="$(node - "$WORK/conversations.json" "$CALL_ID" "$RECORDED" <<'EOF'
const fs = require('node:fs');
const [file, callId, number] = process.argv.slice(2);
let page;
try { page = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { process.exit(0); }
const items = page.items ?? page.conversations ?? [];
const c = items.find(i => i.sipCallId === callId);
if (c && c.state === 'finished' && c.sha256) {
  const problems = [];
  if (c.number !== number) problems.push(`number ${c.number}`);
  if (!(c.durationMs >= 2500)) problems.push(`duration ${c.durationMs} ms`);
  if (c.userRef !== 'user:default/bob') problems.push(`user ${c.userRef}`);
  if (!(c.bytes > 0)) problems.push(`${c.bytes} bytes of audio`);
  if (c.audioIssues?.length) problems.push(`audio issues ${c.audioIssues.join(', ')}`);
  if (c.quality?.audioPackets !== 300) problems.push(`${c.quality?.audioPackets} audio packets (300 sent)`);
  if (problems.length) {
    console.error(`listed, but: ${problems.join('; ')}`);
    process.exit(2);
  }
  console.log(`${c.id} ${c.state}, ${c.durationMs} ms, ${c.quality.audioPackets} audio packets, ${c.bytes} bytes of ${c.format}, user ${c.userRef}`);
}
EOF
)" || fail "the recorded call is not as it was sent"
  [ -n "$listed" ] && break
  sleep 0.5
done
[ -n "$listed" ] || fail "the call is not listed as finished by GET /api/voice-recording/conversations: $(head -c 2000 "$WORK/conversations.json")"
say "   ok: GET /api/voice-recording/conversations lists it: $listed"

say "   the voice-recording page in Chromium"
node "$FIXTURE/check-page.js" "$MVR_ROOT/node_modules/playwright-core" "http://localhost:$HTTP_PORT" "$RECORDED" "$OTHER" \
  || fail "the voice-recording page"

say "all checks passed in $((SECONDS - STARTED)) s"
