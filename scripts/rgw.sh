#!/usr/bin/env bash
# A throw-away single-node Ceph RADOS Gateway (S3 API) for the object storage tests.
#
#   bash scripts/rgw.sh start    # installs ceph-mon ceph-osd radosgw when missing, starts
#                                # 1 monitor + 1 OSD (memstore: RAM) + radosgw, creates the
#                                # test user, prints the environment for the tests
#   bash scripts/rgw.sh status   # prints the environment and exits 0 when it answers, else 1
#   bash scripts/rgw.sh stop     # stops the daemons and removes the data directory
#   bash scripts/rgw.sh gateway-stop    # kills only radosgw (an S3 outage: the cluster and
#                                       # its data stay; connections are refused)
#   bash scripts/rgw.sh gateway-start   # starts radosgw again and waits until S3 answers
#
# `eval "$(bash scripts/rgw.sh start)"` exports MVR_TEST_S3_ENDPOINT, MVR_TEST_S3_REGION,
# MVR_TEST_S3_ACCESS_KEY_ID and MVR_TEST_S3_SECRET_ACCESS_KEY. Progress goes to stderr.
#
# No systemd, no cephx, nothing outside the data directory. Start is idempotent: a running
# cluster is reused; a half-dead one is stopped and created anew (memstore keeps nothing
# across an OSD restart anyway).
#
# Environment (defaults in brackets); give each concurrently running cluster its own:
#   MVR_RGW_DIR        data, config, logs, pids, sockets   [/tmp/mvr-rgw]
#   MVR_RGW_PORT       S3 HTTP port on 127.0.0.1           [17480]
#   MVR_RGW_MON_PORT   monitor (msgr v2) port              [13300]
#   MVR_RGW_OSD_PORTS  first port of the OSD's 100 ports   [16800]
#   MVR_RGW_MEM_MB     memstore size (sparse)              [2048]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DIR="${MVR_RGW_DIR:-/tmp/mvr-rgw}"
PORT="${MVR_RGW_PORT:-17480}"
MON_PORT="${MVR_RGW_MON_PORT:-13300}"
OSD_PORTS="${MVR_RGW_OSD_PORTS:-16800}"
MEM_MB="${MVR_RGW_MEM_MB:-2048}"
ACCESS_KEY="mvrtestaccesskey"
SECRET_KEY="mvrtestsecretkey0123456789abcdefghijklmn"
CONF="$DIR/ceph.conf"

log() { echo "[rgw] $*" >&2; }
ms() { date +%s%3N; }

print_env() {
  cat <<EOF
export MVR_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT
export MVR_TEST_S3_REGION=us-east-1
export MVR_TEST_S3_ACCESS_KEY_ID=$ACCESS_KEY
export MVR_TEST_S3_SECRET_ACCESS_KEY=$SECRET_KEY
EOF
}

# the pid of a daemon of this cluster, only while that pid is still a Ceph daemon (a pid
# file left by a killed cluster may name an unrelated process by now)
pid_of() {
  local p comm
  p="$(cat "$DIR/run/$1.pid" 2>/dev/null || true)"
  [ -n "$p" ] || return 0
  comm="$(cat "/proc/$p/comm" 2>/dev/null || true)"
  case "$comm" in ceph-mon|ceph-osd|radosgw) echo "$p" ;; esac
}
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
http_up() {
  # any HTTP answer (an anonymous ListBuckets is 200 with an empty list) means radosgw serves
  local code
  code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/" 2>/dev/null || true)"
  [ -n "$code" ] && [ "$code" != 000 ]
}
running() { alive mon.a && alive osd.0 && alive client.rgw && http_up; }

stop() {
  # the cluster is thrown away (memstore keeps nothing), so no graceful shutdown: SIGTERM
  # took radosgw/the OSD up to 5 s, SIGKILL is immediate
  local name p pids=()
  for name in client.rgw osd.0 mon.a; do
    p="$(pid_of "$name")"
    if [ -n "$p" ]; then pids+=("$p"); kill -9 "$p" 2>/dev/null || true; fi
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] || break; sleep 0.05; done
  done
  if [ -d "$DIR" ] && [ -f "$CONF" ]; then rm -rf "$DIR"; fi
}

install_packages() {
  if command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw >/dev/null; then return 0; fi
  # shellcheck source=env.sh
  source "$ROOT/scripts/env.sh"
  set +u
  local t0; t0="$(ms)"
  MVR_APT_OPTS=--no-install-recommends mvr_apt ceph-mon ceph-osd radosgw curl
  log "installed ceph-mon ceph-osd radosgw in $(( $(ms) - t0 )) ms"
}

write_conf() {
  local fsid="$1"
  cat > "$CONF" <<EOF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$MON_PORT]
mon_initial_members = a
public_addr = 127.0.0.1
cluster_network = 127.0.0.1/32
ms_bind_msgr1 = false
ms_bind_port_min = $OSD_PORTS
ms_bind_port_max = $((OSD_PORTS + 99))
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
paxos_propose_interval = 0.05
run_dir = $DIR/run
pid_file = $DIR/run/\$name.pid
admin_socket = $DIR/run/\$name.asok
log_file = $DIR/log/\$name.log
crash_dir = $DIR/crash
keyring = $DIR/keyring
[mon]
mon_data = $DIR/mon/\$cluster-\$id
[osd]
osd_data = $DIR/osd/\$cluster-\$id
osd_objectstore = memstore
memstore_device_bytes = $((MEM_MB * 1024 * 1024))
osd_max_object_name_len = 256
osd_max_object_namespace_len = 64
[client.rgw]
ms_mon_client_mode = crc
rgw_frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw_data = $DIR/rgw
rgw_dns_name = localhost
rgw_enable_usage_log = false
rgw_thread_pool_size = 64
EOF
}

start() {
  if running; then
    log "already running on 127.0.0.1:$PORT ($DIR)"
    print_env
    return 0
  fi
  install_packages
  command -v curl >/dev/null || { log "curl is missing"; exit 1; }
  stop
  local port
  for port in "$PORT" "$MON_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "port $port on 127.0.0.1 is taken by another program: set MVR_RGW_PORT / MVR_RGW_MON_PORT (and MVR_RGW_DIR) for this cluster"
      exit 1
    fi
  done
  local t0 fsid uuid
  t0="$(ms)"
  mkdir -p "$DIR"/{run,log,crash,mon,osd/ceph-0,rgw}
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  uuid="$(cat /proc/sys/kernel/random/uuid)"
  write_conf "$fsid"
  : > "$DIR/keyring"
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null 2>&1
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" >>"$DIR/log/setup.log" 2>&1
  ceph-mon -c "$CONF" -i a >>"$DIR/log/setup.log" 2>&1
  ceph -c "$CONF" --connect-timeout 20 osd new "$uuid" >>"$DIR/log/setup.log" 2>&1
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" >>"$DIR/log/setup.log" 2>&1
  ceph-osd -c "$CONF" -i 0 >>"$DIR/log/setup.log" 2>&1
  radosgw-admin -c "$CONF" user create --uid=mvr-test --display-name="MVR tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >>"$DIR/log/setup.log" 2>&1
  radosgw -c "$CONF" -n client.rgw >>"$DIR/log/setup.log" 2>&1
  local ok=""
  for _ in $(seq 1 300); do
    if http_up; then ok=1; break; fi
    sleep 0.1
  done
  if [ -z "$ok" ]; then
    log "radosgw did not answer on 127.0.0.1:$PORT within 30 s; logs in $DIR/log:"
    tail -n 20 "$DIR/log/setup.log" "$DIR"/log/client.rgw.log >&2 2>/dev/null || true
    exit 1
  fi
  log "S3 (Ceph RGW $(radosgw --version 2>/dev/null | awk '{print $3}')) answering on http://127.0.0.1:$PORT after $(( $(ms) - t0 )) ms ($DIR)"
  print_env
}

gateway_stop() {
  local p
  p="$(pid_of client.rgw)"
  if [ -z "$p" ]; then log "radosgw of $DIR is not running"; return 0; fi
  kill -9 "$p" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] || break; sleep 0.05; done
  log "radosgw stopped (pid $p; the monitor and OSD of $DIR keep running)"
}
gateway_start() {
  if alive client.rgw && http_up; then log "radosgw already answering on 127.0.0.1:$PORT"; return 0; fi
  alive mon.a && alive osd.0 || { log "the cluster of $DIR is not running: use start"; exit 1; }
  local t0; t0="$(ms)"
  radosgw -c "$CONF" -n client.rgw >>"$DIR/log/setup.log" 2>&1
  for _ in $(seq 1 300); do
    if http_up; then log "radosgw answering again on http://127.0.0.1:$PORT after $(( $(ms) - t0 )) ms"; return 0; fi
    sleep 0.1
  done
  log "radosgw did not answer on 127.0.0.1:$PORT within 30 s; logs in $DIR/log"
  exit 1
}
case "${1:-}" in
  start) start ;;
  gateway-stop) gateway_stop ;;
  gateway-start) gateway_start ;;
  stop) stop; log "stopped" ;;
  status)
    if running; then print_env; else log "not running"; exit 1; fi
    ;;
  *) echo "usage: $0 start|stop|status|gateway-stop|gateway-start" >&2; exit 2 ;;
esac
