// Workload 9: what berth costs a browser page and an install, against the peers' installs.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, lstatSync } from "node:fs";
import { join, dirname } from "node:path";
import { eagerBundle } from "../../scripts/lib/bundle-size.mjs";

/**
 * Minified + gzipped size of the browser entry, split like the published ESM build: what a page
 * loads eagerly (the entry and the chunks it imports statically; modules the core loads on demand
 * are left out). Two views: everything the entry exports, and an app that imports only Docker.
 * adapters/browser.ts when it exists, else the core with its fetch transport (said so in `entry`).
 */
export async function browserBundle(root) {
  const hasEntry = existsSync(join(root, "adapters/browser.ts"));
  const entry = hasEntry ? "adapters/browser.ts" : "src/index.ts + src/fetch-transport.ts (adapters/browser.ts missing)";
  const everything = hasEntry
    ? 'export * from "./adapters/browser.ts";'
    : 'export * from "./src/index.ts"; export { FetchTransport } from "./src/fetch-transport.ts";';
  const app = hasEntry
    ? 'import { Docker } from "./adapters/browser.ts"; globalThis.docker = new Docker({ url: location.origin + "/engine" });'
    : 'import { Docker } from "./src/index.ts"; import { FetchTransport } from "./src/fetch-transport.ts"; globalThis.docker = new Docker({ transport: new FetchTransport({ url: location.origin + "/engine" }) });';
  const measure = async (contents) => {
    const { min, gzip } = await eagerBundle(root, contents);
    return { minBytes: min, gzipBytes: gzip };
  };
  const full = await measure(everything);
  const only = await measure(app);
  return { entry, minBytes: full.minBytes, gzipBytes: full.gzipBytes, appMinBytes: only.minBytes, appGzipBytes: only.gzipBytes };
}

/** berth's own install: its runtime dependencies (none) and the unpacked size of its package. */
export function berthInstall(root) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies });
  let bytes = null;
  let files = null;
  try {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const [info] = JSON.parse(out);
    bytes = info.unpackedSize;
    files = info.entryCount;
  } catch {
    // reported as unknown
  }
  return { packages: 1 + deps.length, dependencies: deps.length, bytes, files };
}

/**
 * A peer's install as npm laid it out here: the package and everything its (non-dev) dependency
 * tree pulled in, found the way Node resolves them, with the bytes of their files.
 */
export function peerInstall(root, name) {
  const seen = new Set();
  const visit = (dir) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const found = resolvePackage(dir, dep, root);
      if (found) visit(found);
      // an optional dependency that did not install is not part of the footprint
    }
  };
  const start = join(root, "node_modules", name);
  if (!existsSync(start)) return null;
  visit(start);
  let bytes = 0;
  for (const dir of seen) bytes += dirBytes(dir);
  return { packages: seen.size, dependencies: seen.size - 1, bytes };
}

function resolvePackage(fromDir, dep, root) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", dep);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) return null;
  }
}

/** Bytes of a package's files, not counting the packages nested in its node_modules. */
function dirBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules") continue;
    const path = join(dir, entry);
    const st = lstatSync(path);
    total += st.isDirectory() ? dirBytes(path) : st.size;
  }
  return total;
}
