#!/usr/bin/env bash
# A second, TLS-only Docker engine for berth's TLS tests, on Debian as root:
#   - generates with openssl, into the state dir, a CA, a server certificate for 127.0.0.1 and
#     localhost, a client certificate, and an unrelated CA (for the "wrong CA" case);
#   - starts dockerd with --tlsverify on tcp://127.0.0.1:2376 and its own unix socket, data root,
#     exec root, pid file and containerd namespace, and a bridge of its own (berth-tls0), with
#     --iptables=false, so the main engine (scripts/engine.sh) is left alone. (Not --bridge=none:
#     a dockerd started with it deletes the host's docker0 interface, breaking the main engine.)
# Idempotent: with the engine up it only checks. The main engine must be set up first
# (scripts/engine.sh): its test image berth-test:busybox is copied in.
#
# Files for clients, in $STATE_DIR/client: ca.pem cert.pem key.pem (use as DOCKER_CERT_PATH);
# $STATE_DIR/wrong-ca/ca.pem is a CA that did not sign the engine's certificate, and
# $STATE_DIR/wrong-ca/{cert,key}.pem a client certificate it signed (which the engine refuses).
#
#   scripts/tls-engine.sh           ensure the TLS engine
#   scripts/tls-engine.sh --quiet   the same, printing only problems
#   scripts/tls-engine.sh --stop    stop the dockerd this script started
set -euo pipefail

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "tls-engine: $*"; }
die() { echo "tls-engine: $*" >&2; exit 1; }

STATE_DIR="${BERTH_TLS_ENGINE_STATE:-/var/lib/berth-tls-engine}"
PORT=2376
SOCK="$STATE_DIR/docker.sock"
PIDFILE="$STATE_DIR/dockerd.pid"
BRIDGE=berth-tls0
BRIDGE_CIDR=10.231.0.1/24
LOG="$STATE_DIR/dockerd.log"
PKI="$STATE_DIR/pki"
CLIENT="$STATE_DIR/client"

ping_engine() {
  curl -sf --max-time 3 --cacert "$CLIENT/ca.pem" --cert "$CLIENT/cert.pem" --key "$CLIENT/key.pem" \
    "https://127.0.0.1:$PORT/_ping" >/dev/null 2>&1
}

ours_running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

if [ "${1:-}" = "--stop" ]; then
  if ours_running; then
    pid=$(cat "$PIDFILE"); kill "$pid"; say "stopped dockerd $pid"
  fi
  exit 0
fi

[ "$(id -u)" = 0 ] || die "starting a second dockerd needs root"
command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed: run scripts/engine.sh first"
command -v openssl >/dev/null 2>&1 || die "openssl is not installed"
mkdir -p "$STATE_DIR" "$PKI" "$CLIENT" "$STATE_DIR/wrong-ca"
chmod 700 "$STATE_DIR"

make_certs() {
  [ -f "$CLIENT/key.pem" ] && [ -f "$PKI/server-cert.pem" ] && [ -f "$STATE_DIR/wrong-ca/cert.pem" ] && return 0
  say "generating certificates in $PKI"
  CERTS_CHANGED=1
  local tmp; tmp=$(mktemp -d)
  # The CA that signs both ends.
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=berth test CA" \
    -keyout "$PKI/ca-key.pem" -out "$PKI/ca.pem" >/dev/null 2>&1
  # The engine's certificate: valid for the addresses the tests dial.
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" \
    -keyout "$PKI/server-key.pem" -out "$tmp/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tmp/server.ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca-key.pem" -CAcreateserial \
    -days 3650 -sha256 -extfile "$tmp/server.ext" -out "$PKI/server-cert.pem" >/dev/null 2>&1
  # The client's certificate, signed by the same CA.
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=berth client" \
    -keyout "$CLIENT/key.pem" -out "$tmp/client.csr" >/dev/null 2>&1
  printf 'extendedKeyUsage=clientAuth\n' >"$tmp/client.ext"
  openssl x509 -req -in "$tmp/client.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca-key.pem" -CAcreateserial \
    -days 3650 -sha256 -extfile "$tmp/client.ext" -out "$CLIENT/cert.pem" >/dev/null 2>&1
  cp "$PKI/ca.pem" "$CLIENT/ca.pem"
  # A CA that signed nothing here: the engine must fail verification against it.
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=berth unrelated CA" \
    -keyout "$STATE_DIR/wrong-ca/ca-key.pem" -out "$STATE_DIR/wrong-ca/ca.pem" >/dev/null 2>&1
  # ...and a client certificate it signed, which the engine must refuse.
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=berth stranger" \
    -keyout "$STATE_DIR/wrong-ca/key.pem" -out "$tmp/stranger.csr" >/dev/null 2>&1
  openssl x509 -req -in "$tmp/stranger.csr" -CA "$STATE_DIR/wrong-ca/ca.pem" -CAkey "$STATE_DIR/wrong-ca/ca-key.pem" \
    -CAcreateserial -days 3650 -sha256 -extfile "$tmp/client.ext" -out "$STATE_DIR/wrong-ca/cert.pem" >/dev/null 2>&1
  rm -rf "$tmp"
  chmod 600 "$PKI"/*key.pem "$CLIENT/key.pem" "$STATE_DIR"/wrong-ca/*key.pem
}

# The TLS engine's own bridge, so it never manages (or removes) the main engine's docker0.
ensure_bridge() {
  command -v ip >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null || die "installing iproute2 failed"; }
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
}

start_dockerd() {
  ensure_bridge
  say "starting a TLS dockerd on tcp://127.0.0.1:$PORT (log: $LOG)"
  rm -f "$PIDFILE" "$SOCK"
  # setsid: the daemon outlives the shell that started it. Everything it owns lives in STATE_DIR.
  setsid dockerd \
    --tlsverify --tlscacert "$PKI/ca.pem" --tlscert "$PKI/server-cert.pem" --tlskey "$PKI/server-key.pem" \
    -H "tcp://127.0.0.1:$PORT" -H "unix://$SOCK" \
    --data-root "$STATE_DIR/data" --exec-root "$STATE_DIR/exec" --pidfile "$PIDFILE" \
    --containerd-namespace berth-tls --containerd-plugins-namespace berth-tls-plugins \
    --bridge="$BRIDGE" --iptables=false --ip-masq=false \
    >"$LOG" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 120); do
    ping_engine && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOG" >&2; die "dockerd exited while starting (log above, full log in $LOG)"; }
    sleep 0.5
  done
  tail -n 20 "$LOG" >&2
  die "the TLS dockerd did not answer /_ping within 60 s (log: $LOG)"
}

stop_ours() {
  local pid; pid=$(cat "$PIDFILE")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  die "dockerd $pid did not stop within 30 s"
}

CERTS_CHANGED=0
make_certs
if [ "$CERTS_CHANGED" = 1 ] && ours_running; then
  say "certificates changed: restarting dockerd $(cat "$PIDFILE")"
  stop_ours
fi
if ! ping_engine; then
  if ours_running; then
    die "dockerd $(cat "$PIDFILE") runs but does not answer on :$PORT (log: $LOG); stop it with $0 --stop"
  fi
  start_dockerd
fi
# The test image, so tests can run containers on this engine too (it has no registry access).
if ! DOCKER_HOST="unix://$SOCK" docker image inspect berth-test:busybox >/dev/null 2>&1; then
  if docker image inspect berth-test:busybox >/dev/null 2>&1; then
    say "loading berth-test:busybox from the main engine"
    docker save berth-test:busybox | DOCKER_HOST="unix://$SOCK" docker load -q >/dev/null || die "loading berth-test:busybox failed"
  fi
fi
say "ready: https://127.0.0.1:$PORT, client certificates in $CLIENT"
