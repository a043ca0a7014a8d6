#!/usr/bin/env bash
# The package as users get it. Packs a clean copy of the checkout (no dist/: `prepare` must build
# it), checks the tarball (size, contents, publint, @arethetypeswrong/cli), installs it offline
# into throwaway apps and runs the README's quick start in each against the engine:
#
#   node-esm     Node, import                       node-cjs    Node, require()
#   ts-node16    strict tsc, module node16 (ESM)    ts-cjs      strict tsc, node16, CommonJS
#   ts-nodenext  strict tsc, module nodenext (ESM)  ts-bundler  strict tsc as `bun init` writes it
#                                                               (bundler resolution), run by Bun
#   deno         `npm:berth-docker`, deno check + deno run
#
# type-checks test/package/server-api.ts in every Node-side tsc setup (the server API from
# "berth-docker", the narrow browser API from "berth-docker/browser") and a browser-only app
# (test/package/browser-app.ts: DOM types, no @types/node), and asserts which build each runtime
# and bundler loads and which declarations each tsc setup reads, and runs the tarball's
# `berth-docker dashboard` (the page it ships, behind the token). Then the JSR side: the files
# `deno publish` would send, alone in a directory, pass `deno check` and the dry run.
#
#   KEEP_WORK=1 scripts/test-package.sh    keeps the temporary directory, to look into
#
# Nothing is downloaded: the apps share one node_modules (the tarball, installed --offline, plus
# @types/node linked from the checkout) and the checkout's tsc, Bun and Deno. The engine is
# DOCKER_HOST, else unix:///var/run/docker.sock; the quick start's container carries the labels
# berth.test=1 and berth.test.run, and whatever a failed run leaves is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TSC=$ROOT/node_modules/typescript/bin/tsc
BUN=$ROOT/node_modules/@oven/bun-linux-x64/bin/bun
DENO=$ROOT/node_modules/@deno/linux-x64-glibc/deno
# What it holds: the ESM and CJS builds (about 0.43 MiB each, unminified so stack traces read),
# the declarations (0.45 MiB, the generated API types once), the prebuilt dashboard (0.13 MiB,
# brotli) and docs/. The budget catches what grew the package to 7.8 MiB once (source maps, the
# API types copied into each declaration file).
MAX_UNPACKED=$((2048 * 1024))   # 2 MiB
export DO_NOT_TRACK=1 DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-package.XXXXXX")
RUN="package-$$-$(date +%s)"
SOCKET=/var/run/docker.sock
case "${DOCKER_HOST:-}" in unix://*) SOCKET=${DOCKER_HOST#unix://} ;; esac
engine() { # method path: the engine's API, for the leftovers check (curl speaks unix sockets)
  if [ -n "${DOCKER_HOST:-}" ] && [[ $DOCKER_HOST == tcp://* ]]; then
    curl -fsS -X "$1" "http://${DOCKER_HOST#tcp://}$2"
  else
    curl -fsS -X "$1" --unix-socket "$SOCKET" "http://engine$2"
  fi
}
leftovers() { # ids of containers this run made
  engine GET "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22berth.test.run%3D$RUN%22%5D%7D" |
    node -e 'for (const c of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(c.Id)'
}
cleanup() {
  for id in $(leftovers 2>/dev/null); do engine DELETE "/containers/$id?force=1" >/dev/null 2>&1 || true; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "test-package: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

START=$(date +%s%N)
step() { echo "test-package: [$(( ($(date +%s%N) - START) / 1000000 )) ms] $*"; }
fail() { echo "test-package: FAILED: $*" >&2; exit 1; }
quiet() { # run a command, showing its output only when it fails
  local log=$WORK/step.log
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; fail "$*"; fi
}

# --- pack a clean copy ----------------------------------------------------------------------
step "pack a clean copy of the checkout (prepare builds dist/)"
mkdir "$WORK/clone"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$WORK/clone"
[ ! -e "$WORK/clone/dist" ] || fail "the clean copy has a dist/"
ln -s "$ROOT/node_modules" "$WORK/clone/node_modules"
(cd "$WORK/clone" && quiet npm pack --pack-destination "$WORK")
TARBALL=$(ls "$WORK"/berth-docker-*.tgz)

# --- what the tarball holds -----------------------------------------------------------------
mkdir "$WORK/unpacked"
tar -xzf "$TARBALL" -C "$WORK/unpacked"
node - "$WORK/unpacked/package" "$MAX_UNPACKED" "$(stat -c %s "$TARBALL")" <<'EOF'
const { readdirSync, readFileSync, statSync } = require("node:fs");
const { join, relative } = require("node:path");
const [dir, max, packed] = process.argv.slice(2);
const files = [];
const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : files.push(join(d, e.name)); };
walk(dir);
const size = files.reduce((n, f) => n + statSync(f).size, 0);
const problems = [];
const mib = (n) => `${(n / 1048576).toFixed(2)} MiB`;
console.log(`test-package: ${files.length} files, ${mib(size)} unpacked (${size} bytes), ${mib(+packed)} packed`);
if (size > +max) problems.push(`unpacked ${mib(size)} is over ${mib(+max)}`);
const rel = files.map((f) => relative(dir, f));
// Source maps of bundled code point at sources the package does not ship.
for (const f of rel.filter((f) => f.endsWith(".map"))) problems.push(`${f}: a source map`);
for (const f of rel.filter((f) => /^(src|adapters|test)\//.test(f))) problems.push(`${f}: sources or tests shipped`);
// The generated API types: declared once, whatever the number of entries and formats.
const declaring = rel.filter((f) => /\.d\.c?ts$/.test(f) && readFileSync(join(dir, f), "utf8").includes("interface ContainerInspectResponse {"));
if (declaring.length !== 1) problems.push(`the generated API types are declared in ${declaring.length} files: ${declaring.join(", ")}`);
// The relative links of the shipped Markdown lead to files of the package.
for (const doc of rel.filter((f) => f.endsWith(".md"))) {
  const text = readFileSync(join(dir, doc), "utf8");
  for (const [, target] of text.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)) {
    const path = relative(dir, join(dir, doc, "..", target));
    if (!rel.includes(path)) problems.push(`${doc} links to ${target}, which the package lacks`);
  }
}
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
for (const field of ["repository", "homepage", "bugs", "keywords", "license"]) if (!pkg[field]) problems.push(`package.json has no ${field}`);
if (Object.keys(pkg.dependencies ?? {}).length) problems.push("package.json has dependencies");
// The dashboard `berth-docker dashboard` serves: built, compressed, and nothing of its sources.
for (const f of ["dist/dashboard/index.html", "dist/dashboard/main.js.br", "dist/dashboard/style.css.br"]) if (!rel.includes(f)) problems.push(`${f} is missing`);
if (problems.length) { for (const p of problems) console.error(`test-package: ${p}`); process.exit(1); }
EOF

step "publint"
quiet "$ROOT/node_modules/.bin/publint" run --strict "$TARBALL"
step "attw (every entry under node10, node16 CJS and ESM, bundler)"
# ./bun and ./deno are ESM only (Bun and Deno load ESM; Node's require() of them is no use case):
# for them, that require() reaches ESM is expected, and everything else must still hold.
quiet "$ROOT/node_modules/.bin/attw" "$TARBALL" --exclude-entrypoints ./bun ./deno
quiet "$ROOT/node_modules/.bin/attw" "$TARBALL" --entrypoints ./bun ./deno --ignore-rules cjs-resolves-to-esm

# --- the apps -------------------------------------------------------------------------------
step "install the tarball offline into the apps' node_modules"
APPS=$WORK/apps
mkdir -p "$APPS"
echo '{ "name": "apps", "private": true }' >"$APPS/package.json"
(cd "$APPS" && quiet npm install --offline --no-audit --no-fund --no-package-lock "$TARBALL")
diff <(cd "$WORK/unpacked/package" && find . | sort) <(cd "$APPS/node_modules/berth-docker" && find . | sort) >&2 ||
  fail "npm installed other files than the tarball's"
mkdir -p "$APPS/node_modules/@types"
ln -s "$ROOT/node_modules/@types/node" "$APPS/node_modules/@types/node"
node test/package/quickstart.mjs README.md "$APPS" "$RUN"

# skipLibCheck is off in ts-cjs (the whole declaration tree, as CommonJS reads it) and ts-browser
# (an ES module wrapper over that tree, without @types/node), so that an error inside the package's
# declarations fails there; the others, as most projects do, skip checking them (checking
# @types/node costs several seconds of CPU per program) and still see every type they use.
tsconfig() { # dir module moduleResolution skipLibCheck [extra JSON members]
  cat >"$APPS/$1/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "target": "es2022", "module": "$2", "moduleResolution": "$3",
    "strict": true, "skipLibCheck": $4, "types": ["node"], "outDir": "out"${5:-}
  },
  "files": ["app.ts", "server-api.ts"]
}
EOF
  cp test/package/server-api.ts "$APPS/$1/"
}
tsconfig ts-node16 node16 node16 true
tsconfig ts-nodenext nodenext nodenext true
tsconfig ts-cjs node16 node16 false
# What `bun init` writes (and Vite's templates resemble): bundler resolution, no custom
# conditions, no emit; Bun runs the TypeScript itself.
tsconfig ts-bundler preserve bundler true ', "lib": ["ESNext"], "moduleDetection": "force", "allowImportingTsExtensions": true, "verbatimModuleSyntax": true, "noEmit": true, "noUncheckedIndexedAccess": true, "noImplicitOverride": true'
# A browser-only app: DOM types, no @types/node, the narrow entry.
mkdir "$APPS/ts-browser"
cp test/package/browser-app.ts "$APPS/ts-browser/app.ts"
cat >"$APPS/ts-browser/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "es2022", "module": "esnext", "moduleResolution": "bundler", "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "strict": true, "skipLibCheck": false, "types": [], "noEmit": true
  },
  "files": ["app.ts"]
}
EOF
for app in ts-node16 ts-nodenext ts-bundler ts-browser; do echo '{ "type": "module" }' >"$APPS/$app/package.json"; done
echo '{ "type": "commonjs" }' >"$APPS/ts-cjs/package.json"
echo '{ "nodeModulesDir": "manual" }' >"$APPS/deno/deno.json"

step "type-check: tsc in ts-node16, ts-nodenext, ts-cjs, ts-bundler, ts-browser; deno check"
pids=()
for app in ts-node16 ts-nodenext ts-cjs ts-bundler ts-browser; do
  (cd "$APPS/$app" && node "$TSC" -p . --listFiles >tsc.log 2>&1 || { echo "--- $app"; grep -v "^/" tsc.log; exit 1; }) & pids+=($!)
done
(cd "$APPS/deno" && "$DENO" check app.ts >check.log 2>&1 || { echo "--- deno"; cat check.log; exit 1; }) & pids+=($!)
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ $status = 0 ] || fail "type-check"

step "resolution: which build each runtime and bundler loads, which types each tsc setup read"
resolved() { # label app-dir expected-file command...
  local label=$1 app=$2 want=$3; shift 3
  local got
  got=$(cd "$APPS/$app" && "$@" 2>&1) || { echo "$got" >&2; fail "$label: cannot resolve berth-docker"; }
  [[ $got == */node_modules/berth-docker/$want ]] || fail "$label: berth-docker resolved to $got, not $want"
  printf '  %-40s %s\n' "$label" "$want"
}
resolved "Node import" node-esm dist/node.js node --input-type=module -e 'console.log(import.meta.resolve("berth-docker"))'
resolved "Node require()" node-cjs dist/node.cjs node -e 'console.log(require.resolve("berth-docker"))'
resolved "Bun" ts-bundler dist/bun.js "$BUN" -e 'console.log(import.meta.resolve("berth-docker"))'
resolved "Bun require()" node-cjs dist/bun.js "$BUN" -e 'require("berth-docker"); console.log(require.resolve("berth-docker"))'
# Tools that set `browser` for Node (test runners with a DOM): the browser build, loadable in both formats.
resolved "Node import, --conditions=browser" node-esm dist/browser.js node --conditions=browser --input-type=module -e 'const { Docker } = await import("berth-docker"); new Docker({ url: "http://127.0.0.1:2375" }); console.log(import.meta.resolve("berth-docker"))'
resolved "Node require(), --conditions=browser" node-cjs dist/browser.cjs node --conditions=browser -e 'const { Docker } = require("berth-docker"); new Docker({ url: "http://127.0.0.1:2375" }); console.log(require.resolve("berth-docker"))'
resolved "Deno npm:" deno dist/deno.js "$DENO" eval 'console.log(import.meta.resolve("npm:berth-docker"))'
for app in ts-node16:dist/node.d.ts ts-nodenext:dist/node.d.ts ts-cjs:dist/node.d.cts ts-bundler:dist/node.d.ts ts-browser:dist/browser.d.ts; do
  resolved "tsc ${app%%:*}: types" "${app%%:*}" "${app#*:}" grep -m1 -E '/node_modules/berth-docker/dist/[a-z]+\.d\.c?ts$' "$APPS/${app%%:*}/tsc.log"
done
# Bundlers building for browsers and for workerd take the browser build: nothing of node:* in it.
echo 'import { Docker } from "berth-docker"; console.log(new Docker({ url: "http://127.0.0.1:2375" }));' >"$APPS/web.js"
for conditions in browser workerd,worker,browser; do
  (cd "$APPS" && quiet "$ROOT/node_modules/.bin/esbuild" web.js --bundle --format=esm --platform=browser --conditions="$conditions" --metafile=meta.json --outfile=out.js)
  inputs=$(node -e 'console.log(Object.keys(require(process.argv[1]).inputs).filter((f) => f.includes("berth-docker/dist/")).join(" "))' "$APPS/meta.json")
  [[ " $inputs " == *" node_modules/berth-docker/dist/browser.js "* ]] || fail "esbuild --conditions=$conditions bundled $inputs"
  ! grep -q '"node:' "$APPS/out.js" || fail "esbuild --conditions=$conditions: the bundle imports node:*"
  printf '  %-40s %s\n' "esbuild --conditions=$conditions" dist/browser.js
done
# berth-docker/lite, the standalone functions: both formats load, and a browser bundle of a list-only
# page carries neither node:* nor the client class.
resolved "Node import berth-docker/lite" node-esm dist/lite.js node --input-type=module -e 'const { connect } = await import("berth-docker/lite"); connect({ url: "http://127.0.0.1:2375" }); console.log(import.meta.resolve("berth-docker/lite"))'
resolved "Node require() berth-docker/lite" node-cjs dist/lite.cjs node -e 'const { connect } = require("berth-docker/lite"); connect({ url: "http://127.0.0.1:2375" }); console.log(require.resolve("berth-docker/lite"))'
echo 'import { connect, listContainers } from "berth-docker/lite"; listContainers(connect({ url: location.origin })).then(console.log);' >"$APPS/lite.js"
(cd "$APPS" && quiet "$ROOT/node_modules/.bin/esbuild" lite.js --bundle --minify --format=esm --platform=browser --outfile=lite-out.js)
! grep -q '"node:' "$APPS/lite-out.js" || fail "esbuild berth-docker/lite: the bundle imports node:*"
! grep -q 'fromEnv' "$APPS/lite-out.js" || fail "esbuild berth-docker/lite: the bundle carries the Docker class"
printf '  %-40s %s bytes minified\n' "esbuild berth-docker/lite list page" "$(wc -c <"$APPS/lite-out.js")"
expected='{"stdout":"hi\n","stderr":"oops\n"}'
run_app() { # name command...: runs the quick start, which must print what the container wrote
  local name=$1; shift
  local out status=0
  out=$(cd "$APPS/${name%%:*}" && timeout 60 "$@" 2>&1) || status=$?
  [ $status = 0 ] || { echo "$out" >&2; fail "$name: exit status $status"; }
  [ "$(tail -n 1 <<<"$out")" = "$expected" ] || { echo "$out" >&2; fail "$name printed no $expected"; }
}
step "run the quick start: node-esm, node-cjs, ts-node16, ts-nodenext, ts-cjs (compiled), Bun, Deno"
run_app node-esm node app.mjs
run_app node-cjs node app.cjs
run_app ts-node16 node out/app.js
run_app ts-nodenext node out/app.js
run_app ts-cjs node out/app.js
run_app ts-bundler:bun "$BUN" app.ts
# A unix socket needs --allow-read and --allow-write in Deno; the rest is DOCKER_HOST and ~/.docker.
run_app deno "$DENO" run --no-prompt --allow-net --allow-read --allow-write --allow-env app.ts

left=$(leftovers)
[ -z "$left" ] || fail "the quick start left containers behind: $left"

step "the dashboard from the tarball: berth-docker dashboard serves the page the package ships"
# In Node, not curl: the token stays off command lines. The bin runs as npx would run it.
(cd "$APPS" && node - <<'EOF'
const { spawn } = require("node:child_process");
const child = spawn(process.execPath, ["node_modules/.bin/berth-docker", "dashboard", "--no-open"], { stdio: ["ignore", "pipe", "inherit"] });
const fail = (why) => { console.error(`test-package: berth-docker dashboard: ${why}`); child.kill(); process.exit(1); };
setTimeout(() => fail("no URL printed within 20 s"), 20_000).unref();
let out = "";
child.stdout.on("data", async (d) => {
  out += d;
  const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out)?.[0];
  if (!url) return;
  child.stdout.removeAllListeners("data");
  try {
    const origin = new URL(url).origin;
    if ((await fetch(`${origin}/`)).status !== 401) fail("the page was served without the token");
    const traded = await fetch(url, { redirect: "manual" });
    const cookie = traded.headers.get("set-cookie")?.split(";")[0];
    if (traded.status !== 303 || !cookie) fail(`the one-time URL answered ${traded.status} without a cookie`);
    const page = await (await fetch(`${origin}/`, { headers: { cookie } })).text();
    const script = await (await fetch(`${origin}/main.js`, { headers: { cookie } })).text();
    const ping = await (await fetch(`${origin}/_ping`, { headers: { cookie } })).text();
    if (!page.includes("<title>berth dashboard</title>")) fail("/ is not the dashboard");
    if (script.length < 100_000) fail(`/main.js is ${script.length} bytes, not the built dashboard`);
    if (ping !== "OK") fail(`/_ping answered ${ping}`);
    console.log(`test-package: the dashboard served from the tarball (main.js ${script.length} bytes, decompressed)`);
    child.kill();
  } catch (err) {
    fail(err.message);
  }
});
EOF
)

# --- JSR ------------------------------------------------------------------------------------
step "JSR: the files deno publish sends, alone: deno check and deno publish --dry-run"
mkdir "$WORK/jsr"
{ "$DENO" publish --dry-run --allow-dirty --no-check 2>&1 || true; } | sed -n "s|^ *file://$ROOT/\(.*\) ([0-9.]*[KMG]\?B)\$|\1|p" >"$WORK/jsr-files"
[ -s "$WORK/jsr-files" ] || fail "deno publish --dry-run listed no files"
grep -qx deno.json "$WORK/jsr-files" || fail "JSR would not receive deno.json"
tar -cf - -T "$WORK/jsr-files" | tar -xf - -C "$WORK/jsr"
# JSR renders the README too: its relative links must lead to files JSR receives.
node - "$WORK/jsr" <<'EOF'
const { existsSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const dir = process.argv[2];
const missing = [...readFileSync(join(dir, "README.md"), "utf8").matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)].map((m) => m[1]).filter((t) => !existsSync(join(dir, t)));
if (missing.length) { console.error(`test-package: README.md links to ${missing.join(", ")}, which JSR would not receive`); process.exit(1); }
EOF
# deno check with Deno's defaults (no tsconfig.json there), then the dry run's own checks (slow
# types, the files) without checking the same program twice.
(cd "$WORK/jsr" && quiet "$DENO" check $(grep '\.ts$' "$WORK/jsr-files") && quiet "$DENO" publish --dry-run --allow-dirty --no-check)

step "passed ($(wc -l <"$WORK/jsr-files") files for JSR; the npm tarball in 7 apps)"
