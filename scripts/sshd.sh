#!/usr/bin/env bash
# A private sshd for berth's ssh:// tests, on Debian as root:
#   - installs openssh-server when missing (its own service is not started, and the system's
#     sshd configuration is neither read nor changed);
#   - generates, in the state dir, a host key, a key pair for root, authorized_keys, a
#     known_hosts file and an ssh_config for clients;
#   - starts sshd on 127.0.0.1:2222 with its own config file, keys only.
# Idempotent: with sshd up it only checks.
#
# Clients: ssh -F $STATE_DIR/ssh_config -p 2222 root@127.0.0.1   (berth: { ssh: { configFile } })
#
#   scripts/sshd.sh           ensure the sshd
#   scripts/sshd.sh --quiet   the same, printing only problems
#   scripts/sshd.sh --stop    stop the sshd this script started
set -euo pipefail

QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "sshd: $*"; }
die() { echo "sshd: $*" >&2; exit 1; }

STATE_DIR="${BERTH_SSHD_STATE:-/var/lib/berth-sshd}"
PORT=2222
PIDFILE="$STATE_DIR/sshd.pid"
LOG="$STATE_DIR/sshd.log"
CONFIG="$STATE_DIR/sshd_config"
CLIENT_CONFIG="$STATE_DIR/ssh_config"

ours_running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

if [ "${1:-}" = "--stop" ]; then
  if ours_running; then
    pid=$(cat "$PIDFILE"); kill "$pid"; say "stopped sshd $pid"
  fi
  exit 0
fi

[ "$(id -u)" = 0 ] || die "this script needs root (it logs in as root to reach the engine's socket)"

mkdir -p "$(dirname "$STATE_DIR")"
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "no apt-get here: install openssh-server yourself"
  say "installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq -o DPkg::Lock::Timeout=600 >/dev/null || die "apt-get update failed"
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends openssh-server openssh-client \
    >"$STATE_DIR.apt.log" 2>&1 || { tail -n 20 "$STATE_DIR.apt.log" >&2; die "apt-get install openssh-server failed"; }
fi

mkdir -p "$STATE_DIR"
chmod 700 "$STATE_DIR"
# sshd insists on its privilege-separation directory, even with a private config.
mkdir -p /run/sshd
chmod 755 /run/sshd

[ -f "$STATE_DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C "berth-sshd host" -f "$STATE_DIR/host_ed25519"
[ -f "$STATE_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C "berth-sshd client" -f "$STATE_DIR/id_ed25519"
cp "$STATE_DIR/id_ed25519.pub" "$STATE_DIR/authorized_keys"
chmod 600 "$STATE_DIR/authorized_keys"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$STATE_DIR/host_ed25519.pub")" >"$STATE_DIR/known_hosts"

cat >"$CONFIG" <<EOF
# berth test sshd (scripts/sshd.sh). Keys only, loopback only.
Port $PORT
ListenAddress 127.0.0.1
HostKey $STATE_DIR/host_ed25519
PidFile $PIDFILE
AuthorizedKeysFile $STATE_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
EOF

cat >"$CLIENT_CONFIG" <<EOF
# For clients of the berth test sshd: ssh -F $CLIENT_CONFIG root@127.0.0.1 -p $PORT
Host 127.0.0.1 localhost
  IdentityFile $STATE_DIR/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $STATE_DIR/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
EOF

check() {
  ssh -F "$CLIENT_CONFIG" -p "$PORT" -o ConnectTimeout=5 root@127.0.0.1 true >/dev/null 2>&1
}

if ! check; then
  if ours_running; then
    # A running sshd of ours that refuses us: its config is stale. Restart it.
    say "restarting sshd $(cat "$PIDFILE")"
    kill "$(cat "$PIDFILE")"
    sleep 0.5
  fi
  /usr/sbin/sshd -t -f "$CONFIG" || die "the generated $CONFIG is invalid"
  say "starting sshd on 127.0.0.1:$PORT (log: $LOG)"
  # sshd daemonizes itself and writes PidFile.
  /usr/sbin/sshd -f "$CONFIG" -E "$LOG"
  for _ in $(seq 1 40); do
    check && break
    sleep 0.25
  done
  check || { tail -n 20 "$LOG" >&2; die "cannot log in to the sshd on 127.0.0.1:$PORT (log: $LOG)"; }
fi
command -v docker >/dev/null 2>&1 || die "the docker CLI is missing: ssh:// engines run 'docker system dial-stdio' (run scripts/engine.sh)"
say "ready: ssh://root@127.0.0.1:$PORT with -F $CLIENT_CONFIG"
