#!/usr/bin/env bash
# Local image registries for berth's tests, on Debian as root. The one place that starts them:
#   - 127.0.0.1:5000  open (no authentication)
#   - 127.0.0.1:5001  htpasswd basic auth: user "berth", password "berth-registry-secret"
# Both are Debian's docker-registry (distribution 2.8) with their storage in the state dir; the
# engine talks plain HTTP to them because 127.0.0.0/8 registries are insecure by default.
# Installs docker-registry and apache2-utils (for htpasswd) when missing; the package's own
# service is not used. Idempotent: with both registries up it only checks.
#
#   scripts/registry.sh           ensure both registries
#   scripts/registry.sh --quiet   the same, printing only problems
#   scripts/registry.sh --stop    stop the registries this script started
set -euo pipefail

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "registry: $*"; }
die() { echo "registry: $*" >&2; exit 1; }

STATE_DIR="${BERTH_REGISTRY_STATE:-/var/lib/berth-registry}"
OPEN_PORT=5000
AUTH_PORT=5001
AUTH_USER=berth
AUTH_PASSWORD=berth-registry-secret

ours_running() { # port
  local pidfile="$STATE_DIR/$1/registry.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

if [ "${1:-}" = "--stop" ]; then
  for port in $OPEN_PORT $AUTH_PORT; do
    if ours_running "$port"; then
      pid=$(cat "$STATE_DIR/$port/registry.pid"); kill "$pid"; say "stopped the registry on :$port ($pid)"
    fi
  done
  exit 0
fi

[ "$(id -u)" = 0 ] || die "this script needs root (to install packages)"

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v curl >/dev/null 2>&1 || missing+=(curl)
mkdir -p "$STATE_DIR"
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "no apt-get here: install ${missing[*]} yourself"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq -o DPkg::Lock::Timeout=600 >/dev/null || die "apt-get update failed"
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >"$STATE_DIR/apt.log" 2>&1 \
    || { tail -n 20 "$STATE_DIR/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
fi

# /v2/ answers 200 on the open registry and 401 on the htpasswd one.
status() { # port
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/v2/" 2>/dev/null || true
}

write_config() { # port, auth yaml
  local dir="$STATE_DIR/$1"
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
# berth test registry on 127.0.0.1:$1 (scripts/registry.sh)
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$1
  headers:
    X-Content-Type-Options: [nosniff]
$2
EOF
}

start() { # port, expected /v2/ status
  local port=$1 want=$2 dir="$STATE_DIR/$1"
  [ "$(status "$port")" = "$want" ] && return 0
  if ours_running "$port"; then
    die "the registry $(cat "$dir/registry.pid") on :$port does not answer as expected (log: $dir/registry.log); stop it with $0 --stop"
  fi
  say "starting the registry on 127.0.0.1:$port (log: $dir/registry.log)"
  # setsid: the registry outlives the shell that started it.
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/registry.pid"
  for _ in $(seq 1 40); do
    [ "$(status "$port")" = "$want" ] && return 0
    kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || { tail -n 20 "$dir/registry.log" >&2; die "the registry on :$port exited while starting"; }
    sleep 0.25
  done
  tail -n 20 "$dir/registry.log" >&2
  die "the registry on :$port did not answer /v2/ with $want within 10 s"
}

write_config "$OPEN_PORT" ""
mkdir -p "$STATE_DIR/$AUTH_PORT"
htpasswd -Bbn "$AUTH_USER" "$AUTH_PASSWORD" >"$STATE_DIR/$AUTH_PORT/htpasswd.new" 2>/dev/null
# Keep the existing file when the credentials are the same (bcrypt salts differ each run).
if ! { [ -f "$STATE_DIR/$AUTH_PORT/htpasswd" ] && htpasswd -vb "$STATE_DIR/$AUTH_PORT/htpasswd" "$AUTH_USER" "$AUTH_PASSWORD" >/dev/null 2>&1; }; then
  mv "$STATE_DIR/$AUTH_PORT/htpasswd.new" "$STATE_DIR/$AUTH_PORT/htpasswd"
fi
rm -f "$STATE_DIR/$AUTH_PORT/htpasswd.new"
write_config "$AUTH_PORT" "auth:
  htpasswd:
    realm: berth-registry
    path: $STATE_DIR/$AUTH_PORT/htpasswd"

start "$OPEN_PORT" 200
start "$AUTH_PORT" 401
say "ready: http://127.0.0.1:$OPEN_PORT (open), http://127.0.0.1:$AUTH_PORT ($AUTH_USER / $AUTH_PASSWORD)"
