#!/usr/bin/env bash
# `npm run quickstart`: dev dependencies when missing, a local engine when none answers (or the
# engine named by DOCKER_HOST), then examples/quickstart.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent
fi
if [ -z "${DOCKER_HOST:-}" ]; then
  bash scripts/engine.sh --quiet || {
    echo "quickstart: no local engine could be started; set DOCKER_HOST to a running engine (e.g. DOCKER_HOST=unix:///run/user/1000/docker.sock or ssh://me@host)" >&2
    exit 1
  }
fi
exec npx tsx --tsconfig tsconfig.json examples/quickstart.ts
