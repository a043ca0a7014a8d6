#!/usr/bin/env bash
# A second, disposable Docker engine for berth's reliability tests, on Debian as root. The tests
# kill it (SIGKILL) in the middle of streams and start it again with this script, which the main
# engine (scripts/engine.sh, used by everyone else's tests) must never suffer.
#
# It owns everything it touches: its unix socket, data root, exec root, pid file, containerd
# namespaces, and a bridge of its own (berth-spare0) with --iptables=false --ip-masq=false
# --ip-forward=false. Not --bridge=none: a dockerd started with it deletes the host's docker0,
# which breaks the main engine's containers. Containers on this engine should use
# NetworkMode "none". It listens on no TCP port.
# Idempotent: with the engine up it only checks. The main engine's test image berth-test:busybox
# is copied in when missing (the spare engine has no registry access of its own).
#
#   scripts/spare-engine.sh           ensure the spare engine (after a kill: clear the stale pid file, start)
#   scripts/spare-engine.sh --quiet   the same, printing only problems
#   scripts/spare-engine.sh --stop    stop the dockerd this script started
#   scripts/spare-engine.sh --pid     print its pid (nothing when it is not running)
#
# Clients: DOCKER_HOST=unix:///var/lib/berth-spare-engine/docker.sock
set -euo pipefail

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "spare-engine: $*"; }
die() { echo "spare-engine: $*" >&2; exit 1; }

STATE_DIR="${BERTH_SPARE_ENGINE_STATE:-/var/lib/berth-spare-engine}"
SOCK="$STATE_DIR/docker.sock"
PIDFILE="$STATE_DIR/dockerd.pid"
LOG="$STATE_DIR/dockerd.log"
BRIDGE=berth-spare0
BRIDGE_CIDR=10.232.0.1/24
IMAGE=berth-test:busybox

ping_engine() {
  curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

ours_running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null
}

case "${1:-}" in
  --pid)
    if ours_running; then cat "$PIDFILE"; fi
    exit 0
    ;;
  --stop)
    if ours_running; then
      pid=$(cat "$PIDFILE")
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && die "dockerd $pid did not stop within 30 s"
      say "stopped dockerd $pid"
    fi
    exit 0
    ;;
esac

[ "$(id -u)" = 0 ] || die "starting a second dockerd needs root"
command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed: run scripts/engine.sh first"
command -v ip >/dev/null 2>&1 || die "ip (iproute2) is not installed"

# The engine's own bridge: it never manages, and so never removes, the main engine's docker0.
ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
}

has_docker0() { ip link show docker0 >/dev/null 2>&1 && echo yes || echo no; }

start_dockerd() {
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  ensure_bridge
  local docker0_before; docker0_before=$(has_docker0)
  # The log is appended to across restarts (the tests restart it often): keep it from growing forever.
  if [ -f "$LOG" ] && [ "$(stat -c %s "$LOG")" -gt 5000000 ]; then mv -f "$LOG" "$LOG.old"; fi
  say "starting a spare dockerd on unix://$SOCK (log: $LOG)"
  # A killed dockerd leaves its pid file and socket behind; the pid file would stop the next start.
  rm -f "$PIDFILE" "$SOCK"
  # setsid: the daemon outlives the shell (and the test process) that started it.
  setsid dockerd \
    -H "unix://$SOCK" \
    --data-root "$STATE_DIR/data" --exec-root "$STATE_DIR/exec" --pidfile "$PIDFILE" \
    --containerd-namespace berth-spare --containerd-plugins-namespace berth-spare-plugins \
    --bridge="$BRIDGE" --iptables=false --ip-masq=false --ip-forward=false \
    >>"$LOG" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 120); do
    if ping_engine; then
      [ "$(has_docker0)" = "$docker0_before" ] || die "docker0 changed while the spare engine started (before: $docker0_before): stop it with $0 --stop"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOG" >&2; die "dockerd exited while starting (log above, full log in $LOG)"; }
    sleep 0.25
  done
  tail -n 20 "$LOG" >&2
  die "the spare dockerd did not answer /_ping within 30 s (log: $LOG)"
}

if ! ping_engine; then
  if ours_running; then
    # Perhaps starting right now (another caller): give it a moment before declaring it stuck.
    for _ in $(seq 1 40); do ping_engine && break; sleep 0.25; done
    ping_engine || die "dockerd $(cat "$PIDFILE") runs but does not answer on $SOCK (log: $LOG); stop it with $0 --stop"
  else
    start_dockerd
  fi
fi

if ! DOCKER_HOST="unix://$SOCK" docker image inspect "$IMAGE" >/dev/null 2>&1; then
  docker image inspect "$IMAGE" >/dev/null 2>&1 || die "$IMAGE is missing on the main engine: run scripts/engine.sh first"
  say "loading $IMAGE from the main engine"
  docker save "$IMAGE" | DOCKER_HOST="unix://$SOCK" docker load -q >/dev/null || die "loading $IMAGE failed"
fi
say "ready: unix://$SOCK"
