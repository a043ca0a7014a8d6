#!/usr/bin/env node
// What berth weighs in a browser page, minified and gzipped (level 9), measured as BENCHMARKS.md
// measures it (scripts/lib/bundle-size.mjs): each page as a Vite build, as one esbuild file and split
// by esbuild (what loads eagerly). Then the biggest modules of the one-file bundle of everything the
// browser entry exports (one file inlines what loads on demand, so it holds every module still
// reachable), and what that bundle would weigh with groups of modules stubbed out, to size a split.
//
//   node scripts/browser-size.mjs            report
//   node scripts/browser-size.mjs --check    report, and exit 1 when a target is missed
import { BROWSER_PAGES, eagerBundle, oneFileBundle, viteBundle } from "./lib/bundle-size.mjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
/** The targets (BENCHMARKS.md, Targets): a list page on lite, and everything the entry exports. */
const TARGETS = new Map([
  [BROWSER_PAGES[0][0], 12 * 1024],
  [BROWSER_PAGES[2][0], 20 * 1024],
]);

/** Replaces modules by exports that do nothing: what remains is what the rest costs. */
function stubPlugin(paths) {
  const files = new Set(paths.map((p) => join(ROOT, p)));
  return {
    name: "stub",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!files.has(args.path)) return undefined;
        const source = readFileSync(args.path, "utf8");
        const names = [...source.matchAll(/^export\s+(?:async\s+)?(?:function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
        return { contents: names.map((n) => `export const ${n} = undefined as any;`).join("\n"), loader: "ts" };
      });
    },
  };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let missed = false;
console.log("gzip (minified)                                       Vite                one file            split, eager");
for (const [name, source] of BROWSER_PAGES) {
  const contents = source.replaceAll("@/", `${ROOT}/`);
  const [vite, one, split] = [await viteBundle(ROOT, contents), await oneFileBundle(ROOT, contents), await eagerBundle(ROOT, contents)];
  const cell = (r) => `${kb(r.gzip)} (${kb(r.min)})`.padEnd(20);
  const target = TARGETS.get(name);
  const over = target !== undefined && Math.max(vite.gzip, one.gzip) > target;
  missed ||= over;
  console.log(`${name.padEnd(54)}${cell(vite)}${cell(one)}${cell(split)}${target === undefined ? "" : over ? `over ${kb(target)}` : `within ${kb(target)}`}`);
}

const ALL = `export * from "./adapters/browser.ts";`;
const full = await oneFileBundle(ROOT, ALL);
console.log("\nbiggest modules (minified bytes in the one-file bundle of everything exported):");
for (const [path, { bytesInOutput }] of Object.entries(full.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 16)) {
  console.log(`  ${String(bytesInOutput).padStart(6)}  ${path}`);
}

const candidates = [
  ["the tar writer and reader", ["src/streams/tar.ts"]],
  ["BuildKit build sessions (gRPC, protobuf writer; they need an HTTP upgrade)", ["src/buildkit/session/session.ts", "src/buildkit/session/services.ts", "src/grpc/server.ts", "src/grpc/framing.ts", "src/protobuf/writer.ts"]],
  ["BuildKit trace decoding", ["src/buildkit/status.ts", "src/protobuf/reader.ts"]],
  ["directory build contexts and .dockerignore (they need a file system)", ["src/server/build/context.ts", "src/server/build/dockerignore.ts"]],
  ["the swarm, plugin, secret and config resources", ["src/resources/services.ts", "src/resources/tasks.ts", "src/resources/nodes.ts", "src/resources/swarm.ts", "src/resources/secrets.ts", "src/resources/configs.ts", "src/resources/plugins.ts"]],
];
console.log("\nwithout (gzip of the one-file bundle of everything exported):");
const measure = async (paths) => (await oneFileBundle(ROOT, ALL, { plugins: [stubPlugin(paths)] })).gzip;
let all = [];
for (const [what, listed] of candidates) {
  const paths = listed.filter((p) => existsSync(join(ROOT, p)));
  all = all.concat(paths);
  const without = await measure(paths);
  console.log(`  ${kb(without).padStart(8)}  (-${kb(full.gzip - without)})  ${what}`);
}
const none = await measure(all);
console.log(`  ${kb(none).padStart(8)}  (-${kb(full.gzip - none)})  all of these`);

if (process.argv.includes("--check") && missed) {
  console.error("\na target is missed (see above)");
  process.exit(1);
}
