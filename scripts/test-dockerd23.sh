#!/usr/bin/env bash
# The shared engine scenarios (test/scenarios) again, against Docker Engine 23.0.6: API 1.42, and
# BuildKit its default builder (its /_ping sends Builder-Version: 2, which berth's `builder: "auto"`
# follows, as the CLI does: builds there run on BuildKit, with a session). The engine is started beside the
# main one by ../shared/engines/dockerd-23.sh (its own socket, data root and bridge; ../shared may
# be a read-only copy) and has no images of its own: the test image is copied in from the main
# engine. Then the scenarios run under Node (vitest), Bun and Deno, and the run must leave nothing
# on that engine. Exits non-zero when a suite fails. About a minute.
#
#   scripts/test-dockerd23.sh            Node, Bun and Deno
#   scripts/test-dockerd23.sh node       only the vitest part
#   BERTH_DOCKERD23=path/to/dockerd-23.sh scripts/test-dockerd23.sh    another copy of the script
set -uo pipefail
cd "$(dirname "$0")/.."

START=${BERTH_DOCKERD23:-../shared/engines/dockerd-23.sh}
IMAGE=berth-test:busybox
MAIN=${DOCKER_HOST:-unix:///var/run/docker.sock}

if [ ! -f "$START" ]; then
  # Under CI a missing engine is a failure, never a silent skip.
  if [ -n "${CI:-}" ] && [ "${CI}" != false ] && [ "${CI}" != 0 ]; then
    echo "test-dockerd23: $START is missing (set BERTH_DOCKERD23 to the engine's start script)" >&2
    exit 1
  fi
  echo "test-dockerd23: $START is missing: skipped (CI fails here)" >&2
  exit 0
fi

host=$(bash "$START") || { echo "test-dockerd23: Docker Engine 23 did not start" >&2; exit 1; }
if ! DOCKER_HOST="$host" docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "test-dockerd23: loading $IMAGE from $MAIN"
  DOCKER_HOST="$MAIN" docker save "$IMAGE" | DOCKER_HOST="$host" docker load -q >/dev/null || { echo "test-dockerd23: loading $IMAGE failed" >&2; exit 1; }
fi
export DOCKER_HOST="$host"

snapshot=$(mktemp -t berth-dockerd23-before.XXXXXX)
trap 'rm -f "$snapshot"' EXIT
node scripts/leftovers.mjs snapshot "$snapshot" "$host" || exit 1

failed=()
echo "test-dockerd23: engine scenarios against $DOCKER_HOST ($(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
npx vitest run --project engine test/engine/scenarios.test.ts || failed+=(node)
if [ "${1:-all}" = all ]; then
  bash scripts/test-runtimes.sh bun || failed+=(bun)
  bash scripts/test-runtimes.sh deno || failed+=(deno)
fi
node scripts/leftovers.mjs check "$snapshot" "$host" || failed+=(leftovers)

if [ ${#failed[@]} -gt 0 ]; then
  echo "test-dockerd23: failed: ${failed[*]}" >&2
  exit 1
fi
echo "test-dockerd23: passed"
