#!/usr/bin/env node
// The browser entry's weight: adapters/browser.ts bundled by esbuild, minified, gzipped (level 9),
// against the budget of 12 KB. Prints the biggest modules, and what the bundle would weigh
// without the modules a browser cannot use or rarely needs (stubbed out, to size a split).
//
//   node scripts/browser-size.mjs            report
//   node scripts/browser-size.mjs --check    report, and exit 1 when over budget
import { eagerBundle } from "./lib/bundle-size.mjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUDGET = 12 * 1024;

/** Eager size of a bundle of `contents`, with some core modules replaced by stubs. */
function measure(contents, stubbed = []) {
  return eagerBundle(ROOT, contents, { plugins: [stubPlugin(stubbed)] });
}

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
const full = await measure(`export * from "./adapters/browser.ts";`);
const app = await measure(`import { Docker } from "./adapters/browser.ts"; (globalThis as any).docker = new Docker({ url: location.origin + "/engine" });`);

console.log(`browser entry (everything it exports): ${kb(full.min)} minified, ${kb(full.gzip)} gzip  (budget ${kb(BUDGET)})`);
console.log(`an app importing only Docker:         ${kb(app.min)} minified, ${kb(app.gzip)} gzip`);
const lite = await measure(`import { connect, listContainers } from "./adapters/lite.ts"; listContainers(connect({ url: location.origin + "/engine" })).then(console.log);`);
console.log(`a list page on berth-docker/lite:     ${kb(lite.min)} minified, ${kb(lite.gzip)} gzip`);
console.log("\nbiggest modules (minified bytes in the full bundle):");
for (const [path, { bytesInOutput }] of Object.entries(full.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 12)) {
  console.log(`  ${String(bytesInOutput).padStart(6)}  ${path}`);
}

const candidates = [
  ["the HTTP/1.1 upgrade (unusable without raw sockets)", ["src/transport/http/upgrade.ts", "src/transport/http/http1.ts"]],
  ["the tar writer and reader", ["src/streams/tar.ts"]],
  ["Docker config files, credential helpers, directory build contexts (they need a file system)", ["src/server/config/resolve.ts", "src/server/config/credentials.ts", "src/server/config/config-file.ts", "src/server/build/context.ts", "src/server/build/dockerignore.ts"]],
  ["the swarm, plugin, secret and config resources", ["src/resources/services.ts", "src/resources/tasks.ts", "src/resources/nodes.ts", "src/resources/swarm.ts", "src/resources/secrets.ts", "src/resources/configs.ts", "src/resources/plugins.ts"]],
];
console.log("\nwithout (gzip of the full entry):");
let all = [];
for (const [what, listed] of candidates) {
  const paths = listed.filter((p) => existsSync(join(ROOT, p)));
  all = all.concat(paths);
  const without = await measure(`export * from "./adapters/browser.ts";`, paths);
  console.log(`  ${kb(without.gzip).padStart(8)}  (-${kb(full.gzip - without.gzip)})  ${what}`);
}
const none = await measure(`export * from "./adapters/browser.ts";`, all);
console.log(`  ${kb(none.gzip).padStart(8)}  (-${kb(full.gzip - none.gzip)})  all of these`);

if (process.argv.includes("--check") && full.gzip > BUDGET) {
  console.error(`\nover budget: ${kb(full.gzip)} > ${kb(BUDGET)}`);
  process.exit(1);
}
