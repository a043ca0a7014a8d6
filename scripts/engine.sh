#!/usr/bin/env bash
# Ensures a local Docker Engine for berth's examples and tests, on Debian as root:
#   - installs docker.io and busybox-static when missing,
#   - starts dockerd on unix:///var/run/docker.sock only: no TCP port and no CORS, so no web page
#     the user opens can reach it (the browser tests and the dashboard start a loopback proxy of
#     their own, adapters/node-proxy.ts, that checks Origin and Host),
#   - waits for /_ping, and builds the test image berth-test:busybox from scratch (no registry needed).
# Idempotent: with everything up it only checks and returns in a second or two.
# Exits non-zero, saying why, when it cannot provide an engine.
#
#   scripts/engine.sh           ensure the engine and the test image
#   scripts/engine.sh --quiet   the same, printing only problems
#   scripts/engine.sh --stop    stop the dockerd this script started
set -euo pipefail

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "engine: $*"; }
die() { echo "engine: $*" >&2; exit 1; }

SOCK=/var/run/docker.sock
STATE_DIR="${BERTH_ENGINE_STATE:-/var/lib/berth-engine}"
LOG="$STATE_DIR/dockerd.log"
PIDFILE="$STATE_DIR/dockerd.pid"
IMAGE=berth-test:busybox

ping_engine() {
  curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    pid=$(cat "$PIDFILE")
    kill "$pid"
    # Wait for it to exit, so that a start right after does not find the old one still answering.
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && die "dockerd $pid did not exit within 30 s"
    say "stopped dockerd $pid"
  fi
  exit 0
fi

need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root. Start an engine yourself, or set DOCKER_HOST to one (e.g. DOCKER_HOST=unix:///run/user/1000/docker.sock or ssh://me@host)."
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  [ ${#missing[@]} -eq 0 ] && return 0
  need_root "Installing ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || die "no apt-get here: install ${missing[*]} yourself or set DOCKER_HOST to a running engine."
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

start_dockerd() {
  need_root "Starting dockerd"
  mkdir -p "$STATE_DIR"
  # A killed dockerd leaves its pid file behind, and the next start refuses to run.
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    rm -f /var/run/docker.pid
    # containerd may survive its dockerd; a stale socket of it is harmless, dockerd restarts it.
  fi
  say "starting dockerd (log: $LOG)"
  # setsid: the daemon must outlive the shell that started it (tests, CI steps).
  setsid dockerd -H "unix://$SOCK" >"$LOG" 2>&1 < /dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    ping_engine && return 0
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -n 20 "$LOG" >&2; die "dockerd exited while starting (log above, full log in $LOG)"; }
    sleep 0.5
  done
  tail -n 20 "$LOG" >&2
  die "dockerd did not answer /_ping within 60 s (log: $LOG)"
}

# An engine started by an older version of this script also listens on tcp://127.0.0.1:2375 with
# CORS for every origin: every page the user visits can drive it. Say so; restarting is the user's call.
warn_open_engine() {
  local pid; pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  local cmdline; cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  case "$cmdline" in
    *tcp://*|*api-cors-header*)
      OPEN=1
      echo "engine: warning: the running dockerd ($pid) listens beyond its unix socket ($cmdline): any web page you open may drive it." >&2
      echo "engine: restart it on the socket only: bash scripts/engine.sh --stop && bash scripts/engine.sh (or stop it your own way)" >&2 ;;
  esac
}

build_test_image() {
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
  say "building $IMAGE from the local busybox"
  local ctx; ctx=$(mktemp -d)
  local bb; bb=$(command -v busybox)
  cp "$bb" "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["/bin/sh"]
EOF
  DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$ctx" >"$ctx.log" 2>&1 || { cat "$ctx.log" >&2; rm -rf "$ctx" "$ctx.log"; die "building $IMAGE failed"; }
  rm -f "$ctx.log"
  rm -rf "$ctx"
}

export DOCKER_HOST="unix://$SOCK"
if ! ping_engine; then
  install_packages
  ping_engine || start_dockerd
else
  command -v docker >/dev/null 2>&1 || install_packages
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || install_packages
fi
OPEN=0
warn_open_engine
build_test_image
say "ready: $(curl -s --unix-socket "$SOCK" http://localhost/version | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/API \1/p') on $DOCKER_HOST$([ "$OPEN" = 1 ] || echo " (no TCP port)")"
