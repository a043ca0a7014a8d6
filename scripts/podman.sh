#!/usr/bin/env bash
# A second engine for berth's tests: Podman's Docker-compatible API, on Debian as root.
#   - installs Debian's podman when missing (it brings netavark, conmon, slirp4netns; it does not
#     touch dockerd, its docker0 bridge or its iptables chains: netavark adds its own NETAVARK_*
#     chains and a podman0 bridge on 10.88.0.0/16, created only while a container uses it);
#   - writes containers.conf (no default ulimits: containers cannot start here with them;
#     cgroupfs and file events: there is no systemd or journald) and points CONTAINERS_CONF at it;
#     and registries.conf (CONTAINERS_REGISTRIES_CONF): registries on 127.0.0.1/localhost speak
#     plain HTTP, as dockerd assumes for loopback registries (scripts/registry.sh's, port 5000);
#   - starts `podman system service` on unix:///var/lib/berth-podman/podman.sock, waits for /_ping;
#   - loads the test image from the main dockerd (`docker save | podman load`): Podman names it
#     localhost/berth-test:busybox, and resolves the short name berth-test:busybox to it.
# Idempotent: with the service up and the image loaded it only checks. Never touches the main dockerd.
#
#   scripts/podman.sh           ensure the Podman service and the test image
#   scripts/podman.sh --quiet   the same, printing only problems
#   scripts/podman.sh --env     print `export DOCKER_HOST=... CONTAINERS_CONF=...` for eval
#   scripts/podman.sh --stop    stop the service this script started
set -euo pipefail

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "podman: $*"; }
die() { echo "podman: $*" >&2; exit 1; }

STATE_DIR="${BERTH_PODMAN_STATE:-/var/lib/berth-podman}"
SOCK="$STATE_DIR/podman.sock"
PIDFILE="$STATE_DIR/podman.pid"
LOG="$STATE_DIR/podman.log"
CONF="$STATE_DIR/containers.conf"
REGISTRIES="$STATE_DIR/registries.conf"
IMAGE=berth-test:busybox
export CONTAINERS_CONF="$CONF" CONTAINERS_REGISTRIES_CONF="$REGISTRIES"

if [ "${1:-}" = "--env" ]; then
  echo "export DOCKER_HOST=unix://$SOCK CONTAINERS_CONF=$CONF CONTAINERS_REGISTRIES_CONF=$REGISTRIES"
  exit 0
fi

ping_podman() {
  curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

ours_running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

if [ "${1:-}" = "--stop" ]; then
  if ours_running; then
    kill "$(cat "$PIDFILE")"; say "stopped podman service $(cat "$PIDFILE")"
  fi
  rm -f "$PIDFILE"
  exit 0
fi

need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root. Start a Podman service yourself (podman system service) and set DOCKER_HOST to its socket."
}

install_podman() {
  command -v podman >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 && return 0
  need_root "Installing podman"
  command -v apt-get >/dev/null 2>&1 || die "no apt-get here: install podman yourself."
  say "installing podman"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq podman curl >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-get install -y -qq podman curl >/dev/null || die "apt-get install podman failed"
  }
}

CHANGED=0
# write_file FILE CONTENT: replaces FILE when its content differs; the service must then restart.
write_file() {
  [ -f "$1" ] && [ "$(cat "$1")" = "$2" ] && return 0
  printf '%s\n' "$2" >"$1"
  CHANGED=1
}

write_conf() {
  mkdir -p "$STATE_DIR"
  write_file "$CONF" "$(cat <<'EOF'
# Written by berth's scripts/podman.sh.
[containers]
# The packaged default ulimits cannot be applied in this machine's containers: start fails.
default_ulimits = []

[engine]
# No systemd and no journald here.
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)"
  write_file "$REGISTRIES" "$(cat <<'EOF'
# Written by berth's scripts/podman.sh.
# Short names resolve on Docker Hub, as the Docker API has them.
unqualified-search-registries = ["docker.io"]

# Loopback registries speak plain HTTP, as dockerd assumes for 127.0.0.0/8.
[[registry]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
location = "localhost:5000"
insecure = true
EOF
)"
}

start_service() {
  need_root "Starting the podman service"
  rm -f "$SOCK"
  say "starting podman system service (log: $LOG)"
  # setsid: the service must outlive the shell that started it (tests, CI steps).
  setsid podman system service --time=0 "unix://$SOCK" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 60); do
    ping_podman && return 0
    ours_running || { tail -n 20 "$LOG" >&2; die "podman system service exited while starting (log above, full log in $LOG)"; }
    sleep 0.5
  done
  tail -n 20 "$LOG" >&2
  die "podman did not answer /_ping within 30 s (log: $LOG)"
}

load_test_image() {
  podman image exists "$IMAGE" 2>/dev/null && return 0
  # The image comes from the caller's engine (DOCKER_HOST), else the local dockerd.
  local source="${DOCKER_HOST:-unix:///var/run/docker.sock}"
  [ "$source" = "unix://$SOCK" ] && source=unix:///var/run/docker.sock
  command -v docker >/dev/null 2>&1 || die "the docker CLI is missing: run scripts/engine.sh first (the test image comes from the main engine)"
  DOCKER_HOST="$source" docker image inspect "$IMAGE" >/dev/null 2>&1 ||
    die "the engine at $source has no $IMAGE: run scripts/engine.sh first"
  say "loading $IMAGE from $source"
  DOCKER_HOST="$source" docker save "$IMAGE" | podman load -q >/dev/null ||
    die "podman load of $IMAGE failed"
  # Podman names a loaded short name localhost/NAME; tagging the short name gives the same name
  # again, and lookups of berth-test:busybox resolve to it anyway.
  podman image exists "$IMAGE" || die "after loading, podman does not resolve $IMAGE"
}

install_podman
write_conf
if [ "$CHANGED" = 1 ] && ours_running; then
  say "configuration changed: restarting the service"
  kill "$(cat "$PIDFILE")"
  for _ in $(seq 1 20); do ours_running || break; sleep 0.25; done
fi
ping_podman || start_service
load_test_image
say "ready: Podman $(curl -s --unix-socket "$SOCK" http://localhost/version | sed -n 's/.*"Version":"\([^"]*\)","ApiVersion":"\([^"]*\)".*/\1, API \2/p') on unix://$SOCK (CONTAINERS_CONF=$CONF)"
