#!/usr/bin/env bash
# Host-build test of the container image (packages/backend/Dockerfile), without Docker:
#
#   1. the host build (scripts/host-build.sh build: yarn build:backend, which builds the
#      plugins and the frontend into packages/backend/dist/{skeleton,bundle}.tar.gz);
#   2. the Dockerfile's own instructions performed in a fresh folder standing for /app
#      (scripts/host-build.sh image: skeleton, `yarn workspaces focus --all
#      --production`, bundle, configuration; see the header of that script);
#   3. the image's CMD (`node packages/backend --config app-config.yaml --config
#      app-config.production.yaml`) started as a non-root user (scripts/host-build.sh
#      run) with only environment variables, as a deployment gives them: PostgreSQL at
#      127.0.0.1:5432 in databases of this test's own (prefix mvr_hostbuild_<pid>_,
#      dropped afterwards), the OpenID provider of the sign-in test
#      (packages/app/e2e-tests/oidc/testIdentityProvider.mjs), secrets made up here;
#   4. checks: health, the frontend served, the API refusing a request without a token
#      and answering the network's token, the demo sign-in absent, a user signing in
#      through OpenID Connect (the whole redirect flow, with cookies, as a browser does)
#      and calling the API with the token, a standard user refused and the admin
#      creating a number, a SIPREC call to it recorded and listed (the testing client of
#      scripts/tarball-install-test/place-call.js), the recorder answering SIP OPTIONS
#      over UDP and TCP, the journals written in the image's data folder as the non-root user,
#      the voice-recording schema migrated in PostgreSQL, and a clean stop on SIGTERM.
#
# Prints each check, exits non-zero on the first failure; stops what it started and
# drops its databases in any case. MVR_HOST_BUILD_SKIP_BUILD=1 reuses the last
# packages/backend/dist (for a quick re-run); `yarn tsc` is skipped (scripts/test.sh
# type-checks first), set MVR_HOST_BUILD_SKIP_TSC=0 to run it. MVR_HOST_BUILD_LOG_DIR=<dir>
# keeps the logs (build, image steps, backend, OpenID provider) there.
source "$(dirname "$0")/env.sh"
cd "$MVR_ROOT"
export MVR_HOST_BUILD_SKIP_TSC="${MVR_HOST_BUILD_SKIP_TSC:-1}"
PG_URL="${MVR_TEST_POSTGRES_CONNECTION:-postgresql://postgres@127.0.0.1:5432}"
DB_PREFIX="mvr_hostbuild_$$_"
START=$SECONDS

say() { echo "[host-build-test] $*"; }
fail() { echo "[host-build-test] FAILED: $*" >&2; exit 1; }
ok() { echo "[host-build-test]   ok: $*"; }

IMAGE=""
LOGS="$(mktemp -d /tmp/mvr-host-build-logs.XXXXXX)"
BACKEND_PID=""
IDP_PID=""
stop_pid() {
  local pid="$1"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}
drop_databases() {
  local db
  for db in $(psql "$PG_URL" -Atc "SELECT datname FROM pg_database WHERE left(datname, ${#DB_PREFIX}) = '$DB_PREFIX'" 2>/dev/null); do
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || echo "[host-build-test] could not drop database $db" >&2
  done
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$BACKEND_PID"
  stop_pid "$IDP_PID"
  if [ "$rc" != 0 ] && [ -f "$LOGS/backend.log" ]; then
    echo "[host-build-test] last lines of the backend's log:" >&2
    tail -n 40 "$LOGS/backend.log" >&2
  fi
  drop_databases
  if [ -n "${MVR_HOST_BUILD_LOG_DIR:-}" ]; then mkdir -p "$MVR_HOST_BUILD_LOG_DIR" && cp "$LOGS"/*.log "$MVR_HOST_BUILD_LOG_DIR"/ 2>/dev/null || true; fi
  [ -n "$IMAGE" ] && rm -rf "$IMAGE"
  rm -rf "$LOGS"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

pg_isready -h 127.0.0.1 -p 5432 -q || fail "PostgreSQL is not reachable at 127.0.0.1:5432"

# Free ports: HTTP, the IdP, SIP (free on both UDP and TCP) and the metrics endpoint.
read -r HTTP_PORT IDP_PORT SIP_PORT METRICS_PORT < <(node - <<'EOF'
const net = require('net'), dgram = require('dgram');
const tcp = () => new Promise((res, rej) => { const s = net.createServer(); s.once('error', rej);
  s.listen(0, '0.0.0.0', () => { const p = s.address().port; s.close(() => res(p)); }); });
const udpFree = p => new Promise(res => { const s = dgram.createSocket('udp4'); s.once('error', () => res(false));
  s.bind(p, '0.0.0.0', () => s.close(() => res(true))); });
(async () => {
  const http = await tcp(), idp = await tcp();
  let sip; do { sip = await tcp(); } while (!(await udpFree(sip)) || sip === http || sip === idp);
  let metrics; do { metrics = await tcp(); } while ([http, idp, sip].includes(metrics));
  console.log(http, idp, sip, metrics);
})();
EOF
)

# 1. host build
if [ "${MVR_HOST_BUILD_SKIP_BUILD:-}" = 1 ] && [ -f packages/backend/dist/bundle.tar.gz ]; then
  say "1. host build: reusing packages/backend/dist (MVR_HOST_BUILD_SKIP_BUILD=1)"
else
  say "1. host build (yarn build:backend)"
  bash scripts/host-build.sh build > "$LOGS/build.log" 2>&1 || { tail -n 40 "$LOGS/build.log" >&2; fail "host build"; }
fi
ok "packages/backend/dist/skeleton.tar.gz and bundle.tar.gz built ($((SECONDS - START)) s)"

# 2. the Dockerfile's steps in a fresh folder
IMAGE="$(mktemp -d /tmp/mvr-host-build-image.XXXXXX)"
T=$SECONDS
say "2. the Dockerfile's instructions in $IMAGE"
bash scripts/host-build.sh image "$IMAGE" > "$LOGS/image.log" 2>&1 || { tail -n 40 "$LOGS/image.log" >&2; fail "image steps"; }
grep '^\[host-build\] step' "$LOGS/image.log" | sed 's/^/[host-build-test]     /'
[ -f "$IMAGE/packages/backend/dist/index.cjs.js" ] || fail "no packages/backend/dist/index.cjs.js in the image"
[ -f "$IMAGE/packages/app/dist/index.html" ] || fail "no frontend (packages/app/dist) in the image"
[ -d "$IMAGE/node_modules/@backstage/backend-defaults" ] || fail "production dependencies not installed"
[ ! -e "$IMAGE/node_modules/@backstage/backend-test-utils" ] || fail "development dependencies installed (backend-test-utils)"
[ ! -e "$IMAGE/plugins/voice-recording-backend/src" ] || fail "sources copied into the image"
ok "bundle unpacked over production-only dependencies ($((SECONDS - T)) s, $(du -sh "$IMAGE" | cut -f1))"

# 3. start the image's CMD with the production configuration
secret() { node -e "process.stdout.write(require('crypto').randomBytes(24).toString('hex'))"; }
export APP_BASE_URL="http://localhost:$HTTP_PORT"
export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=5432 POSTGRES_USER=postgres
export POSTGRES_PASSWORD=unused-with-trust-auth
export MVR_NETWORK_TOKEN; MVR_NETWORK_TOKEN="$(secret)"
export AUTH_SESSION_SECRET; AUTH_SESSION_SECRET="$(secret)"
export AUTH_OIDC_METADATA_URL="http://127.0.0.1:$IDP_PORT/.well-known/openid-configuration"
export AUTH_OIDC_CLIENT_ID=mvr-portal-host-build
export AUTH_OIDC_CLIENT_SECRET; AUTH_OIDC_CLIENT_SECRET="$(secret)"
export MVR_RECORDER_ADVERTISED_ADDRESS=127.0.0.1 MVR_RECORDER_INSTANCE_ID=host-build-test
# What only this test changes, as a deployment would (APP_CONFIG_* environment
# variables): its own ports and its own databases.
export APP_CONFIG_backend_listen=":$HTTP_PORT"
export APP_CONFIG_backend_database_prefix="$DB_PREFIX"
export APP_CONFIG_voiceRecording_recorder_sip_port="$SIP_PORT"
# the Prometheus endpoint of the CMD's --require ./instrumentation.js
export MVR_METRICS_PORT="$METRICS_PORT"

say "3. starting the OpenID provider (127.0.0.1:$IDP_PORT) and the image's CMD (port $HTTP_PORT, SIP $SIP_PORT)"
MVR_OIDC_PORT="$IDP_PORT" MVR_OIDC_CLIENT_ID="$AUTH_OIDC_CLIENT_ID" \
  MVR_OIDC_CLIENT_SECRET="$AUTH_OIDC_CLIENT_SECRET" \
  MVR_OIDC_REDIRECT_URI="$APP_BASE_URL/api/auth/oidc/handler/frame" \
  node packages/app/e2e-tests/oidc/testIdentityProvider.mjs > "$LOGS/idp.log" 2>&1 &
IDP_PID=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "$AUTH_OIDC_METADATA_URL" && break
  kill -0 "$IDP_PID" 2>/dev/null || { cat "$LOGS/idp.log" >&2; fail "the OpenID provider exited"; }
  sleep 0.2
done
bash scripts/host-build.sh run "$IMAGE" > "$LOGS/backend.log" 2>&1 &
BACKEND_PID=$!
T=$SECONDS
until curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/.backstage/health/v1/readiness"; do
  kill -0 "$BACKEND_PID" 2>/dev/null || fail "the backend exited during start-up"
  [ $((SECONDS - T)) -lt 180 ] || fail "the backend is not ready after 180 s"
  sleep 1
done
say "4. checks"
ok "ready after $((SECONDS - T)) s: GET /.backstage/health/v1/readiness 200 ($(curl -s "http://127.0.0.1:$HTTP_PORT/.backstage/health/v1/readiness"))"
curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/.backstage/health/v1/liveness" || fail "liveness"
ok "GET /.backstage/health/v1/liveness 200"

uid="$(awk '/^Uid:/ { print $2 }' "/proc/$BACKEND_PID/status")"
[ "$uid" != 0 ] || fail "the backend runs as root"
ok "the backend runs as uid $uid, not root ($(tr '\0' ' ' < "/proc/$BACKEND_PID/cmdline"))"

# HTTP helper: prints the status code; the body goes to $LOGS/body
http() { curl -s -o "$LOGS/body" -w '%{http_code}' "$@"; }

code="$(http "$APP_BASE_URL/")"
[ "$code" = 200 ] && grep -q '<title>Mobile Voice Recording</title>' "$LOGS/body" || fail "GET / answered $code without the app's index.html"
asset="$(grep -o 'src="/static/[^"]*\.js"' "$LOGS/body" | head -1 | sed 's/^src="//; s/"$//')"
[ -n "$asset" ] || fail "index.html names no script"
code="$(http "$APP_BASE_URL$asset")"
[ "$code" = 200 ] || fail "GET $asset answered $code"
ok "frontend served: GET / (index.html of packages/app) and GET $asset 200"

code="$(http "$APP_BASE_URL/api/voice-recording/numbers")"
[ "$code" = 401 ] || fail "GET /api/voice-recording/numbers without a token answered $code, not 401"
ok "GET /api/voice-recording/numbers without a token: 401"

# An unknown number: past authentication and the channel's rights, the decision is 404.
code="$(http -H "Authorization: Bearer $MVR_NETWORK_TOKEN" "$APP_BASE_URL/api/voice-recording/policy/decision?number=%2B32470999999")"
[ "$code" = 404 ] && grep -q 'recorded number +32470999999 not found' "$LOGS/body" ||
  fail "GET /api/voice-recording/policy/decision with MVR_NETWORK_TOKEN answered $code: $(head -c 300 "$LOGS/body")"
ok "the network's token (MVR_NETWORK_TOKEN) may query the policy: 404 for a number that is not recorded"

code="$(http -X POST -H 'x-mvr-demo-user: alice' "$APP_BASE_URL/api/auth/demo/refresh")"
[ "$code" = 404 ] || fail "the demo sign-in answered $code in production, not 404"
ok "no demo sign-in in production: POST /api/auth/demo/refresh 404"

# A sign-in through OpenID Connect, as the sign-in page's pop-up does it: the portal's
# start URL, the provider's login form, back to the portal's handler, whose page carries
# the Backstage token. Prints "<token> <user ref> <ownership refs>" or "ERROR <message>".
oidc_sign_in() {
  local email="$1" password="$2" jar="$LOGS/cookies" code location action
  rm -f "$jar"
  code="$(http -c "$jar" -b "$jar" -D "$LOGS/headers" "$APP_BASE_URL/api/auth/oidc/start?env=production&scope=openid%20profile%20email&origin=$APP_BASE_URL")"
  location="$(sed -n 's/^[Ll]ocation: *//p' "$LOGS/headers" | tr -d '\r')"
  [ "$code" = 302 ] && [[ $location == "$AUTHORIZATION_ENDPOINT?"* ]] ||
    fail "GET /api/auth/oidc/start answered $code to '$location', not 302 to the provider's $AUTHORIZATION_ENDPOINT"
  # the provider's login form (following its redirects)
  code="$(http -L -c "$jar" -b "$jar" "$location")"
  action="$(grep -o 'action="[^"]*"' "$LOGS/body" | head -1 | sed 's/^action="//; s/"$//')"
  [ "$code" = 200 ] && [ -n "$action" ] || fail "the provider's login form: $code"
  # log in; the provider redirects back to the portal's handler
  code="$(http -c "$jar" -b "$jar" -L --max-redirs 5 \
    --data-urlencode "email=$email" --data-urlencode "password=$password" \
    "http://127.0.0.1:$IDP_PORT$action")"
  [ "$code" = 200 ] || fail "signing in at the provider and back to the portal: $code ($(head -c 300 "$LOGS/body"))"
  node - "$LOGS/body" <<'EOF'
// The handler's page posts the sign-in result to the app: URI-encoded JSON in a script.
const html = require('fs').readFileSync(process.argv[2], 'utf8');
const encoded = [...html.matchAll(/decodeURIComponent\('([^']+)'\)/g)].map(m => m[1]);
for (const e of encoded) {
  try {
    const msg = JSON.parse(decodeURIComponent(e));
    if (msg.type === 'authorization_response') {
      if (msg.error) { console.log('ERROR ' + (msg.error.message || JSON.stringify(msg.error))); process.exit(0); }
      const id = msg.response?.backstageIdentity;
      console.log(`${id?.token ?? ''} ${id?.identity?.userEntityRef ?? ''} ${(id?.identity?.ownershipEntityRefs ?? []).join(',')}`);
      process.exit(0);
    }
  } catch {}
}
console.log('ERROR no authorization_response in the handler page');
EOF
}
AUTHORIZATION_ENDPOINT="$(curl -sf "$AUTH_OIDC_METADATA_URL" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).authorization_endpoint))')"
# The catalog reads examples/org.yaml shortly after the start: until alice is in it, the
# resolver (e-mail to catalog User) cannot find her, so try again for up to 90 s.
T=$SECONDS
while :; do
  response="$(oidc_sign_in alice@acme-bank.example alice-test-password)"
  [[ $response == "ERROR "*"unable to resolve user identity"* ]] && [ $((SECONDS - T)) -lt 90 ] || break
  sleep 2
done
read -r TOKEN USER_REF OWNERSHIP <<<"$response"
[ "$USER_REF" = user:default/alice ] || fail "alice's sign-in: $response"
ok "GET /api/auth/oidc/start?env=production: 302 to the provider's authorization endpoint $AUTHORIZATION_ENDPOINT"
ok "alice signed in through the provider's login form: $USER_REF, ownership $OWNERSHIP"
[[ ,$OWNERSHIP, == *,group:default/compliance,* ]] || fail "alice's token lacks group:default/compliance: $OWNERSHIP"
response="$(oidc_sign_in eve@elsewhere.example eve-test-password)"
[[ $response == "ERROR "*"unable to resolve user identity"* ]] || fail "eve (not in the catalog) was not refused: $response"
ok "eve, known to the provider but not in the catalog, is refused: ${response:6:60}..."
code="$(http -H "Authorization: Bearer $TOKEN" "$APP_BASE_URL/api/voice-recording/me/numbers")"
[ "$code" = 200 ] || fail "GET /api/voice-recording/me/numbers with alice's token answered $code: $(head -c 300 "$LOGS/body")"
ok "GET /api/voice-recording/me/numbers with alice's token: 200"

# A recorded call, end to end: carol (standard user) may not create a number, alice
# (admin) creates one for carol, a SIPREC call to it over UDP with 3 s of RTP on both
# streams (the RTP ports of app-config.production.yaml), listed as finished through the
# API, its archive in the image's data/recordings.
response="$(oidc_sign_in carol@acme-bank.example carol-test-password)"
read -r CAROL CAROL_REF _ <<<"$response"
[ "$CAROL_REF" = user:default/carol ] || fail "carol's sign-in: $response"
RECORDED=+32471234567
OTHER=+32475000001
NUMBER_BODY="{\"number\":\"$RECORDED\",\"userRef\":\"user:default/carol\",\"mvrActive\":true,
 \"settings\":{\"statusMode\":\"manual\",\"activeStatus\":\"professional\",\"simultaneousCalls\":true},
 \"slots\":[{\"weekdays\":[1,2,3,4,5,6,7],\"start\":\"00:00\",\"end\":\"24:00\"}]}"
code="$(http -X POST -H "Authorization: Bearer $CAROL" -H 'Content-Type: application/json' -d "$NUMBER_BODY" "$APP_BASE_URL/api/voice-recording/numbers")"
[ "$code" = 403 ] || fail "carol (standard user) creating a number answered $code, not 403: $(head -c 300 "$LOGS/body")"
ok "carol (standard user, signed in through the provider) may not create a number: 403"
code="$(http -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$NUMBER_BODY" "$APP_BASE_URL/api/voice-recording/numbers")"
[ "$code" = 201 ] || fail "alice creating $RECORDED answered $code: $(head -c 300 "$LOGS/body")"
ok "alice (admin) created $RECORDED for carol: 201"
# the recorder package's testing client, from the workspace (TypeScript through the CLI's transform)
CALL_ID="$(node --require "$MVR_ROOT/node_modules/@backstage/cli-node/config/nodeTransform.cjs" \
  scripts/tarball-install-test/place-call.js "$SIP_PORT" "$RECORDED" "$OTHER" 2> "$LOGS/call.log")" ||
  { cat "$LOGS/call.log" >&2; fail "the SIPREC call to udp/$SIP_PORT"; }
ok "SIPREC call $CALL_ID: INVITE 200, 3 s of A-law RTP on two streams, BYE 200"
listed=""
for _ in $(seq 1 60); do
  http -H "Authorization: Bearer $TOKEN" "$APP_BASE_URL/api/voice-recording/conversations" > /dev/null
  listed="$(node - "$LOGS/body" "$CALL_ID" "$RECORDED" <<'EOF'
const [file, callId, number] = process.argv.slice(2);
let page;
try { page = JSON.parse(require('fs').readFileSync(file, 'utf8')); } catch { process.exit(0); }
const c = (page.items ?? page.conversations ?? []).find(i => i.sipCallId === callId);
if (c && c.state === 'finished' && c.sha256) {
  const problems = [];
  if (c.number !== number) problems.push(`number ${c.number}`);
  if (!(c.durationMs >= 2500)) problems.push(`duration ${c.durationMs} ms`);
  if (c.userRef !== 'user:default/carol') problems.push(`user ${c.userRef}`);
  if (!(c.bytes > 0)) problems.push(`${c.bytes} bytes of audio`);
  if (c.quality?.audioPackets !== 300) problems.push(`${c.quality?.audioPackets} audio packets (300 sent)`);
  if (problems.length) { console.error(`listed, but: ${problems.join('; ')}`); process.exit(2); }
  console.log(`${c.durationMs} ms, ${c.quality.audioPackets} audio packets, ${c.bytes} bytes of ${c.format}`);
}
EOF
)" || fail "the recorded call is not as it was sent"
  [ -n "$listed" ] && break
  sleep 0.5
done
[ -n "$listed" ] || fail "the call is not listed as finished: $(head -c 1000 "$LOGS/body")"
ok "GET /api/voice-recording/conversations lists it finished: $listed"
archives="$(find "$IMAGE/data/recordings" -type f -user "$uid" \( -name '*.opus' -o -name '*.ogg' -o -name '*.wav' \) | wc -l)"
[ "$archives" -gt 0 ] || fail "no recording in $IMAGE/data/recordings written by uid $uid: $(find "$IMAGE/data/recordings" | head)"
ok "its archive is in the image's data/recordings, written as uid $uid"

# The recorder: SIP OPTIONS over UDP and TCP, answered 200 (database up).
node - "$SIP_PORT" > "$LOGS/sip" 2>&1 <<'EOF' || { cat "$LOGS/sip" >&2; fail "SIP OPTIONS"; }
const dgram = require('dgram'), net = require('net'), crypto = require('crypto');
const port = Number(process.argv[2]);
function options(transport, localPort) {
  const branch = 'z9hG4bK' + crypto.randomBytes(6).toString('hex');
  return [
    `OPTIONS sip:srs@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${localPort};branch=${branch}`,
    'Max-Forwards: 70',
    `From: <sip:host-build-test@127.0.0.1>;tag=${crypto.randomBytes(4).toString('hex')}`,
    `To: <sip:srs@127.0.0.1:${port}>`,
    `Call-ID: ${crypto.randomUUID()}@host-build-test`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0', '', ''].join('\r\n');
}
const status = text => text.split('\r\n')[0];
const timeout = (what) => setTimeout(() => { console.error(`${what}: no answer within 5 s`); process.exit(1); }, 5000);
function udp() {
  return new Promise(resolve => {
    const s = dgram.createSocket('udp4');
    const t = timeout('UDP');
    s.on('message', m => { clearTimeout(t); s.close(); resolve(status(m.toString())); });
    s.bind(0, '127.0.0.1', () => s.send(options('UDP', s.address().port), port, '127.0.0.1'));
  });
}
function tcp() {
  return new Promise(resolve => {
    const t = timeout('TCP');
    const c = net.connect(port, '127.0.0.1', () => c.write(options('TCP', c.localPort)));
    let buf = '';
    c.on('data', d => { buf += d; if (buf.includes('\r\n\r\n')) { clearTimeout(t); c.destroy(); resolve(status(buf)); } });
  });
}
(async () => {
  const u = await udp(), t = await tcp();
  console.log(`UDP: ${u} | TCP: ${t}`);
  process.exit(/^SIP\/2\.0 200 /.test(u) && /^SIP\/2\.0 200 /.test(t) ? 0 : 1);
})();
EOF
ok "the recorder answers SIP OPTIONS on 0.0.0.0:$SIP_PORT: $(cat "$LOGS/sip")"

# Operations: the recorder's health without a token, its metrics after the call above.
health="$(curl -s -w ' %{http_code}' "http://127.0.0.1:$HTTP_PORT/api/voice-recording/recorder/health")"
# (rtpReceive: dgram here, the image has no native RTP receiver; native in a checkout that built it)
[[ "$health" =~ ^\{\"status\":\"ok\",\"rtpReceive\":\"(native|dgram)\",\"journalSync\":\"(filesystem|file)\"\}\ 200$ ]] || fail "GET /api/voice-recording/recorder/health without a token: $health"
ok "GET /api/voice-recording/recorder/health without a token: $health"
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" > "$LOGS/metrics" || fail "no Prometheus endpoint on 127.0.0.1:$METRICS_PORT/metrics"
metric() { sed -n "s/^$1\(\({[^}]*}\)\)\{0,1\} \([0-9.e+]*\)\$/\3/p" "$LOGS/metrics" | head -n 1; }
invites="$(grep -E '^mvr_recorder_invites_total\{code="200"' "$LOGS/metrics" | awk '{ print $2 }')"
received="$(metric mvr_recorder_rtp_packets_received_total)"
[ "${invites:-0}" -ge 1 ] && [ "${received:-0}" -ge 300 ] || fail "metrics after the call: INVITE 200 '${invites}', RTP received '${received}'"
ok "GET :$METRICS_PORT/metrics: INVITE 200 $invites, RTP packets received $received, active calls $(metric mvr_recorder_active_calls), database up $(metric mvr_recorder_database_up)"

spares="$(find "$IMAGE/data/journal" -name '*.spare' -user "$uid" 2>/dev/null | wc -l)"
[ "$spares" -gt 0 ] || fail "no journal spare files written by uid $uid in $IMAGE/data/journal"
ok "the recorder's journals are in the image's data/journal, written as uid $uid ($spares spare files)"

tables="$(psql "${PG_URL%/}/${DB_PREFIX}voice-recording" -Atc "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('vr_numbers', 'vr_conversations', 'vr_audit_log')" 2>&1)" || true
[ "$tables" = 3 ] || fail "voice-recording tables in PostgreSQL database ${DB_PREFIX}voice-recording: $tables"
ok "PostgreSQL: database ${DB_PREFIX}voice-recording migrated (vr_numbers, vr_conversations, vr_audit_log)"

kill -TERM "$BACKEND_PID"
T=$SECONDS
rc=0; wait "$BACKEND_PID" || rc=$?
BACKEND_PID=""
[ "$rc" = 0 ] || fail "the backend exited with $rc on SIGTERM"
ok "SIGTERM: the backend stopped with exit code 0 in $((SECONDS - T)) s"

say "passed in $((SECONDS - START)) s"
