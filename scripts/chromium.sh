#!/usr/bin/env bash
# Ensures Debian's Chromium at /usr/bin/chromium for the browser tests (driven by playwright-core,
# which never downloads a browser of its own here). Idempotent: returns at once when present.
# Exits non-zero, saying why, when it cannot provide one.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

die() { echo "chromium: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "installing Debian's chromium needs root (apt-get install -y chromium)."
command -v apt-get >/dev/null 2>&1 || die "no apt-get here: install Chromium at $CHROMIUM yourself."

echo "chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || die "apt-get update failed"
apt-get install -y -qq chromium >/dev/null || die "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || die "chromium was installed but $CHROMIUM is missing"
