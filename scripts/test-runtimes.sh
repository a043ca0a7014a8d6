#!/usr/bin/env bash
# The engine scenarios of test/scenarios under Bun and Deno, with the versions pinned in
# package.json (their binaries come inside the npm packages @oven/bun-linux-x64 and
# @deno/linux-x64-glibc; nothing is downloaded). Vitest runs the same scenarios under Node
# (test/engine/scenarios.test.ts). Needs the engine (scripts/engine.sh) and, for the pull scenario,
# the registry on 127.0.0.1:5000 (scripts/registry.sh); scripts/test.sh starts both first.
# Exits non-zero when either runtime's suite fails.
#
#   scripts/test-runtimes.sh                 Bun, Deno, then the JSR check
#   scripts/test-runtimes.sh bun|deno|jsr    one of them
#
# The JSR check is `deno publish --dry-run`: every entry of deno.json type-checks under Deno and
# the public API has no "slow types" (JSR's rule: explicit types on everything exported).
set -uo pipefail
cd "$(dirname "$0")/.."

BUN=node_modules/@oven/bun-linux-x64/bin/bun
DENO=node_modules/@deno/linux-x64-glibc/deno
export DO_NOT_TRACK=1 DENO_NO_UPDATE_CHECK=1 NO_COLOR=1

which=${1:-all}
failed=()

need() { # binary package
  [ -x "$1" ] && return 0
  echo "test-runtimes: $1 is missing: run npm ci (the $2 package is linux-x64 glibc only)" >&2
  return 1
}

if [ "$which" = all ] || [ "$which" = bun ]; then
  echo "test-runtimes: engine scenarios on Bun $("$BUN" --version 2>/dev/null)"
  if need "$BUN" @oven/bun-linux-x64; then
    "$BUN" test ./test/runtimes/bun.test.ts || failed+=(bun)
  else
    failed+=(bun)
  fi
fi

if [ "$which" = all ] || [ "$which" = deno ]; then
  echo "test-runtimes: engine scenarios on Deno $("$DENO" --version 2>/dev/null | head -n 1)"
  if need "$DENO" @deno/linux-x64-glibc; then
    # net: the engine (unix socket or TCP) and the registry; read/write: the socket (Deno asks for
    # both to connect to one) and ~/.docker; env: DOCKER_HOST and friends, CI; run: the ssh agent
    # scenario's ssh-agent, its key and the ssh client it copies into an image.
    "$DENO" test --no-prompt --allow-net --allow-read --allow-write --allow-env --allow-run=ssh-agent,ssh-add,ssh-keygen,ldd test/runtimes/deno.test.ts || failed+=(deno)
  else
    failed+=(deno)
  fi
fi

if [ "$which" = all ] || [ "$which" = jsr ]; then
  echo "test-runtimes: JSR package check (deno publish --dry-run)"
  if need "$DENO" @deno/linux-x64-glibc; then
    "$DENO" publish --dry-run --allow-dirty --quiet || failed+=(jsr)
  else
    failed+=(jsr)
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "test-runtimes: FAILED on ${failed[*]}" >&2
  exit 1
fi
echo "test-runtimes: ${which/all/Bun, Deno and JSR} passed"
