#!/usr/bin/env bash
# Kamailio as the SIP front of a recorder cluster (deploy/kamailio/kamailio.cfg), for tests
# and trials on one host. Foreground process (no daemon, no syslog) with its log in a file.
#
#   bash scripts/kamailio.sh start    # installs the `kamailio` package when missing, writes
#                                     # the dispatcher list, starts, waits until it answers
#   bash scripts/kamailio.sh status   # the pid and every recorder's state (kamcmd
#                                     # dispatcher.list: AP = up, IP/IX = down, probing);
#                                     # exit 0 when running
#   bash scripts/kamailio.sh wait-up [N] [SECONDS]  # waits until N recorders are up (default
#                                     # all; 30 s), exit 1 otherwise
#   bash scripts/kamailio.sh stop     # stops it (SIGTERM, then SIGKILL after 5 s)
#
# Environment (defaults in brackets):
#   MVR_KAMAILIO_DIR        pid, log, dispatcher list, control socket   [/tmp/mvr-kamailio]
#   MVR_KAMAILIO_ADDRESS    address it listens on                       [127.0.0.1]
#   MVR_KAMAILIO_PORT       SIP port, UDP and TCP                       [5070]
#   MVR_KAMAILIO_RECORDERS  the recorders, space-separated HOST:PORT    [127.0.0.1:5060]
#   MVR_KAMAILIO_TRANSPORT  transport to the recorders: udp or tcp      [udp]
#   MVR_KAMAILIO_PROBE_INTERVAL  seconds between OPTIONS probes         [1]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DIR="${MVR_KAMAILIO_DIR:-/tmp/mvr-kamailio}"
ADDRESS="${MVR_KAMAILIO_ADDRESS:-127.0.0.1}"
PORT="${MVR_KAMAILIO_PORT:-5070}"
RECORDERS="${MVR_KAMAILIO_RECORDERS:-127.0.0.1:5060}"
TRANSPORT="${MVR_KAMAILIO_TRANSPORT:-udp}"
PROBE_INTERVAL="${MVR_KAMAILIO_PROBE_INTERVAL:-1}"
CFG="$ROOT/deploy/kamailio/kamailio.cfg"
CTL="unix:$DIR/kamailio_ctl"

log() { echo "[kamailio] $*" >&2; }

pid() {
  local p
  p="$(cat "$DIR/kamailio.pid" 2>/dev/null || true)"
  [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null || true)" = kamailio ] && echo "$p"
  return 0
}

rpc() { kamcmd -s "$CTL" "$@"; }

# "up total" from dispatcher.list: a destination is up when its flags are AP
count_up() {
  local out up total
  out="$(rpc dispatcher.list 2>/dev/null || true)"
  total="$(grep -c 'URI:' <<<"$out" || true)"
  up="$(grep -c 'FLAGS: AP' <<<"$out" || true)"
  echo "$up $total"
}

start() {
  case "$TRANSPORT" in udp|tcp) ;; *) log "MVR_KAMAILIO_TRANSPORT=$TRANSPORT: udp or tcp"; exit 1 ;; esac
  if [ -n "$(pid)" ]; then log "already running (pid $(pid))"; return 0; fi
  if ! command -v kamailio >/dev/null; then
    # shellcheck source=/dev/null
    source "$ROOT/scripts/env.sh"
    mvr_apt kamailio
  fi
  mkdir -p "$DIR"
  : >"$DIR/dispatcher.list"
  local r
  for r in $RECORDERS; do
    [[ "$r" == *:* ]] || { log "MVR_KAMAILIO_RECORDERS: '$r' is not HOST:PORT"; exit 1; }
    echo "1 sip:$r;transport=$TRANSPORT" >>"$DIR/dispatcher.list"
  done
  rm -f "$DIR/kamailio_ctl"
  # -DD -E: foreground, log on stderr (no syslog here); -l: the listen sockets
  kamailio -f "$CFG" -DD -E -Y "$DIR" -m 64 -M 8 \
    -l "udp:$ADDRESS:$PORT" -l "tcp:$ADDRESS:$PORT" \
    -A "DISPATCHER_LIST=\"$DIR/dispatcher.list\"" -A "CTL_SOCKET=\"$CTL\"" -A "PROBE_INTERVAL=$PROBE_INTERVAL" \
    >"$DIR/kamailio.log" 2>&1 </dev/null &
  echo $! >"$DIR/kamailio.pid"
  local i
  for i in $(seq 1 100); do
    if [ -z "$(pid)" ]; then
      log "kamailio exited during start; its log ($DIR/kamailio.log):"
      tail -30 "$DIR/kamailio.log" >&2
      exit 1
    fi
    if rpc core.version >/dev/null 2>&1; then
      log "listening on udp/tcp $ADDRESS:$PORT (pid $(pid)), recorders: $RECORDERS ($TRANSPORT), log $DIR/kamailio.log"
      return 0
    fi
    sleep 0.1
  done
  log "kamailio did not answer on $CTL within 10 s; its log: $DIR/kamailio.log"
  exit 1
}

status() {
  local p
  p="$(pid)"
  if [ -z "$p" ]; then echo "kamailio: not running"; return 1; fi
  echo "kamailio: running (pid $p) on udp/tcp $ADDRESS:$PORT"
  rpc dispatcher.list | grep -E 'URI:|FLAGS:' | paste - - | awk '{print "  " $2 " " $4}'
}

wait_up() {
  local want="${1:-}" seconds="${2:-30}" up total i
  for i in $(seq 1 $((seconds * 10))); do
    read -r up total < <(count_up)
    [ -n "$want" ] || want="$total"
    if [ "${total:-0}" -gt 0 ] && [ "$up" -ge "$want" ]; then
      log "$up of $total recorder(s) up"
      return 0
    fi
    sleep 0.1
  done
  log "only ${up:-0} of ${total:-0} recorder(s) up after $seconds s (wanted $want)"
  status >&2 || true
  return 1
}

stop() {
  local p i
  p="$(pid)"
  if [ -n "$p" ]; then
    kill "$p" 2>/dev/null || true
    for i in $(seq 1 50); do [ -d "/proc/$p" ] || break; sleep 0.1; done
    if [ -d "/proc/$p" ]; then kill -9 "$p" 2>/dev/null || true; fi
    log "stopped (pid $p)"
  fi
  rm -f "$DIR/kamailio.pid" "$DIR/kamailio_ctl"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait-up) shift; wait_up "$@" ;;
  *) echo "usage: $0 start|stop|status|wait-up [N] [SECONDS]" >&2; exit 2 ;;
esac
