#!/usr/bin/env bash
# The engine scenarios and engine tests again, against Podman's Docker-compatible service instead of
# dockerd: the same tests, selected by DOCKER_HOST. Where Podman differs, the tests check the engine
# (`docker.isPodman()`) and assert what Podman does; docs/podman.md lists the differences.
# scripts/podman.sh provides the service and the test image (from the main engine, which
# scripts/engine.sh provides). Exits non-zero when a suite fails. About two minutes.
#
#   scripts/test-podman.sh            vitest (scenarios + engine tests), then Bun and Deno scenarios
#   scripts/test-podman.sh vitest     only the vitest part
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/podman.sh --quiet || exit 1
eval "$(bash scripts/podman.sh --env)"
export DOCKER_HOST

# The engine's behaviour is in the shared scenarios (test/scenarios), which carry their Podman
# branches (plugins included: Podman lacks the endpoint); of the Node-only files, podman.test.ts and
# streams.test.ts (the Node adapter's pool) run here too. Swarm, TLS, ssh and the registry suites
# test dockerd features or other daemons; the scenarios cover TLS and the registry from Podman's side.
FILES=(
  test/engine/scenarios.test.ts
  test/engine/podman.test.ts
  test/engine/streams.test.ts
)

snapshot=$(mktemp -t berth-podman-before.XXXXXX)
trap 'rm -f "$snapshot"' EXIT
node scripts/leftovers.mjs snapshot "$snapshot" "$DOCKER_HOST" || exit 1

failed=()
echo "test-podman: engine tests against $DOCKER_HOST"
npx vitest run --project engine "${FILES[@]}" || failed+=(vitest)

if [ "${1:-all}" = all ]; then
  bash scripts/test-runtimes.sh bun || failed+=(bun)
  bash scripts/test-runtimes.sh deno || failed+=(deno)
fi

# A failing build step leaves buildah's working container behind (even with forcerm): remove
# those, so the store does not grow run after run. The service and its store are this script's own.
podman ps -a --external --format '{{.ID}} {{.Status}}' 2>/dev/null | awk '$2 == "Storage" { print $1 }' |
  xargs -r podman rm -f --storage >/dev/null 2>&1 || true
node scripts/leftovers.mjs check "$snapshot" "$DOCKER_HOST" || failed+=(leftovers)

if [ ${#failed[@]} -gt 0 ]; then
  echo "test-podman: failed: ${failed[*]}" >&2
  exit 1
fi
echo "test-podman: passed"
