#!/usr/bin/env node
// What berth weighs in a browser page, minified and gzipped (level 9), measured as BENCHMARKS.md
// measures it (scripts/lib/bundle-size.mjs): each page as a Vite build, as one esbuild file and split
// by esbuild (what loads eagerly). Then the biggest modules of the one-file bundle of everything the
// browser entry exports (one file inlines what loads on demand, so it holds every module still
// reachable), and what that bundle would weigh with groups of modules stubbed out, to size a split.
//
//   node scripts/browser-size.mjs            report
//   node scripts/browser-size.mjs --check    report, and exit 1 when a target is missed
import { BROWSER_PAGES, eagerBundle, oneFileBundle, splitProfile, viteBundle } from "./lib/bundle-size.mjs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
/** The targets (BENCHMARKS.md, Targets): a list page on lite, and everything the entry exports. */
const TARGETS = new Map([
  [BROWSER_PAGES[0][0], 12 * 1024],
  [BROWSER_PAGES[2][0], 20 * 1024],
]);

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

const { full, without, floor } = await splitProfile(ROOT);
console.log("\nbiggest modules (minified bytes in the one-file bundle of everything exported):");
for (const [path, { bytesInOutput }] of Object.entries(full.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 16)) {
  console.log(`  ${String(bytesInOutput).padStart(6)}  ${path}`);
}
console.log("\nwithout (gzip of the one-file bundle of everything exported):");
for (const { what, gzip } of without) console.log(`  ${kb(gzip).padStart(8)}  (-${kb(full.gzip - gzip)})  ${what}`);
console.log(`  ${kb(floor.gzip).padStart(8)}  (-${kb(full.gzip - floor.gzip)})  all of these`);

if (process.argv.includes("--check") && missed) {
  console.error("\na target is missed (see above)");
  process.exit(1);
}
