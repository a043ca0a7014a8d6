#!/usr/bin/env bash
# The whole test run: ensure what the tests need (dependencies, the local engine and test image),
# then run every suite. `npm test` calls this; so does .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Dev dependencies: a fresh clone has none.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The engine: a DOCKER_HOST set by the caller is used as it is; otherwise the local one is
# installed and started when missing (root on Debian), or the run stops saying why.
if [ -z "${DOCKER_HOST:-}" ]; then
  bash scripts/engine.sh
  bash scripts/tls-engine.sh --quiet   # a second engine with --tlsverify on 127.0.0.1:2376
  bash scripts/sshd.sh --quiet         # sshd on 127.0.0.1:2222 for ssh:// engines
  bash scripts/registry.sh --quiet     # registries on 127.0.0.1:5000 (open) and :5001 (htpasswd)
fi

# Debian's Chromium for the browser tests (test/browser), installed when missing.
bash scripts/chromium.sh

npx tsc --noEmit -p .

# What the engines hold before the suites: the run ends by failing on anything it added (a test
# creates what it asserts on and removes all it made, unlabelled build containers included).
# The main engine, the TLS engine and the spare engine of the reliability tests; Podman and
# Docker Engine 23 are checked by their own scripts, around their own runs.
ENGINES=(main tls spare)
snapshot=$(mktemp -t berth-engines-before.XXXXXX)
node scripts/leftovers.mjs snapshot "$snapshot" "${ENGINES[@]}"
finish() {
  local status=$?
  node scripts/leftovers.mjs check "$snapshot" "${ENGINES[@]}" || status=1
  rm -f "$snapshot"
  exit "$status"
}
trap finish EXIT

npx vitest run "$@"
bash scripts/test-runtimes.sh   # the same engine scenarios under Bun and Deno
bash scripts/test-podman.sh     # scenarios and engine tests again, against Podman's Docker API
bash scripts/test-dockerd23.sh  # the scenarios again, against Docker Engine 23.0.6 (API 1.42)
bash scripts/test-package.sh    # the packed package installed offline into Node, TypeScript, Bun and Deno apps; the JSR files
