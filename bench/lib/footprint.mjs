// Workload 9: what berth costs a browser page and an install, against the peers' installs.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, lstatSync } from "node:fs";
import { join, dirname } from "node:path";
import { BROWSER_PAGES, eagerBundle, oneFileBundle, splitProfile, viteBundle } from "../../scripts/lib/bundle-size.mjs";

/**
 * Minified + gzipped size of each page in BROWSER_PAGES, three ways: split like the published ESM
 * build (esbuild; what the page loads eagerly, not the modules the core loads on demand), as one
 * esbuild file (everything inlined), and as a Vite production build (eager chunks per its manifest).
 */
export async function browserBundle(root) {
  const pages = [];
  for (const [name, source] of BROWSER_PAGES) {
    const contents = source.replaceAll("@/", `${root}/`);
    const split = await eagerBundle(root, contents);
    const oneFile = await oneFileBundle(root, contents);
    pages.push({ name, split: { min: split.min, gzip: split.gzip }, oneFile: { min: oneFile.min, gzip: oneFile.gzip }, vite: await viteBundle(root, contents) });
  }
  return { pages, profile: await profileOfEverything(root) };
}

/**
 * Where the one-file bundle of everything the entry exports goes: what it weighs without each group
 * of modules that could be split off, and the floor with all of them gone, by folder of the core.
 */
async function profileOfEverything(root) {
  const { full, without, floor } = await splitProfile(root);
  const byFolder = new Map();
  for (const [path, { bytesInOutput }] of Object.entries(floor.inputs)) {
    const folder = path.startsWith("src/") ? path.split("/").slice(0, 2).join("/") : path.split("/")[0];
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + bytesInOutput);
  }
  const folders = [...byFolder].filter(([, min]) => min >= 512).sort((a, b) => b[1] - a[1]).map(([folder, min]) => ({ folder, min }));
  return { full: { gzip: full.gzip, min: full.min }, without, floor: { gzip: floor.gzip, min: floor.min, folders } };
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
