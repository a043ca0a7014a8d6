// What a page loads eagerly from a bundle of `contents` (an entry module): esbuild bundles, splits
// (like the published ESM browser build) and minifies it; counted are the entry and the chunks it
// imports statically, not the modules the core loads on demand. Shared by scripts/browser-size.mjs
// and the benchmark's footprint workload.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** The browser pages measured (BENCHMARKS.md, Footprint): what each imports, `@/` the package root. */
export const BROWSER_PAGES = [
  ["a page listing containers with `berth-docker/lite`", 'import { connect, listContainers } from "@/adapters/lite.ts"; listContainers(connect({ url: location.origin + "/engine" }), { all: true }).then((l) => console.log(l.length));'],
  ["a page listing containers with `Docker`", 'import { Docker } from "@/adapters/browser.ts"; new Docker({ url: location.origin + "/engine" }).containers.list({ all: true }).then((l) => console.log(l.length));'],
  ["everything the browser entry exports", 'import * as berth from "@/adapters/browser.ts"; (globalThis as any).berth = berth;'],
  [
    "a page using five `berth-docker/lite` operations",
    'import { connect, containerList, containerStart, containerStop, imageList, networkList } from "@/adapters/lite.ts"; const e = connect({ url: location.origin + "/engine" }); ' +
      'Promise.all([containerList(e, { all: true }), imageList(e), networkList(e)]).then((l) => console.log(l.length)); (globalThis as any).buttons = { start: (id: string) => containerStart(e, id), stop: (id: string) => containerStop(e, id) };',
  ],
  ["everything `berth-docker/lite` exports", 'import * as lite from "@/adapters/lite.ts"; (globalThis as any).lite = lite;'],
];

/** An entry that re-exports everything the browser entry exports (the profile's page; resolved from the package root). */
export const EVERYTHING = `export * from "./adapters/browser.ts";`;

/**
 * The groups of modules that could leave the browser entry (to a subpath or behind a dynamic import):
 * the bundle of everything with each stubbed out sizes a split, and with all of them stubbed out it is
 * the floor such splits can reach. Paths from the package root; a path that is gone is skipped.
 */
export const SPLIT_CANDIDATES = [
  ["the tar writer and reader", ["src/streams/tar.ts"]],
  ["BuildKit build sessions (gRPC, protobuf writer; they need an HTTP upgrade, so no browser bundle holds them)", ["src/buildkit/session/session.ts", "src/buildkit/session/services.ts", "src/grpc/server.ts", "src/grpc/framing.ts", "src/protobuf/writer.ts"]],
  ["BuildKit trace decoding", ["src/buildkit/status.ts", "src/protobuf/reader.ts"]],
  ["directory build contexts and .dockerignore (they need a file system)", ["src/server/build/context.ts", "src/server/build/dockerignore.ts"]],
  ["the build call and BuildKit build progress (the build stream's step model, plain rendering, session options)", ["src/buildkit/build.ts", "src/buildkit/build-stream.ts", "src/buildkit/model.ts", "src/buildkit/render.ts", "src/buildkit/session/options.ts", "src/buildkit/builder.ts"]],
  ["the Podman dialect (loaded when the engine is Podman)", ["src/dialect/podman-dialect.ts", "src/streams/podman-log-replay.ts"]],
  ["the swarm, plugin, secret and config resources", ["src/resources/services.ts", "src/resources/tasks.ts", "src/resources/nodes.ts", "src/resources/swarm.ts", "src/resources/secrets.ts", "src/resources/configs.ts", "src/resources/plugins.ts"]],
];

/** An esbuild plugin that replaces the modules at `paths` by exports that do nothing: what remains is what the rest costs. */
export function stubPlugin(root, paths) {
  const files = new Set(paths.map((p) => join(root, p)));
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

/**
 * The one-file bundle of everything the browser entry exports, whole and with each SPLIT_CANDIDATES
 * group stubbed out, then with all of them: `{ full, without: [{ what, gzip, min }], floor }`.
 */
export async function splitProfile(root) {
  const full = await oneFileBundle(root, EVERYTHING);
  const without = [];
  let all = [];
  for (const [what, listed] of SPLIT_CANDIDATES) {
    const paths = listed.filter((p) => existsSync(join(root, p)));
    all = all.concat(paths);
    const r = await oneFileBundle(root, EVERYTHING, { plugins: [stubPlugin(root, paths)] });
    without.push({ what, gzip: r.gzip, min: r.min });
  }
  const floor = await oneFileBundle(root, EVERYTHING, { plugins: [stubPlugin(root, all)] });
  return { full, without, floor: { gzip: floor.gzip, min: floor.min, inputs: floor.inputs } };
}

/** esbuild's options for a minified browser bundle of `contents`, written to memory. */
const browserBuild = (root, contents) => ({
  stdin: { contents, resolveDir: root, loader: "ts", sourcefile: "entry.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  logLevel: "silent",
});

export async function eagerBundle(root, contents, { plugins = [] } = {}) {
  const { build } = await import("esbuild");
  const result = await build({
    ...browserBuild(root, contents),
    splitting: true,
    outdir: join(root, "bundle-size-out"), // never written
    metafile: true,
    plugins,
  });
  const outputs = result.metafile.outputs;
  const byPath = new Map(result.outputFiles.map((f) => [f.path, f.contents]));
  const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint);
  const eager = new Set();
  const visit = (out) => {
    if (eager.has(out)) return;
    eager.add(out);
    for (const imp of outputs[out].imports) if (imp.kind === "import-statement") visit(imp.path);
  };
  visit(entry);
  const code = Buffer.concat([...eager].map((out) => Buffer.from(byPath.get(join(root, out)))));
  const inputs = {};
  for (const out of eager) Object.assign(inputs, outputs[out].inputs);
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs };
}

/**
 * The same entry as one file (esbuild without splitting: modules loaded on demand are inlined, so
 * only code that nothing reachable references is left out). `inputs` are the modules in it.
 */
export async function oneFileBundle(root, contents, { plugins = [] } = {}) {
  const { build } = await import("esbuild");
  const result = await build({ ...browserBuild(root, contents), metafile: true, plugins });
  const code = Buffer.from(result.outputFiles[0].contents);
  const [output] = Object.values(result.metafile.outputs);
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs: output.inputs };
}

/**
 * A Vite production build of a page whose script is `contents`: what the page loads eagerly (the
 * entry chunk and the chunks it imports statically, per Vite's manifest), minified by Vite's default.
 */
export async function viteBundle(root, contents) {
  const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import("node:fs");
  const { build } = await import("vite");
  const dir = mkdtempSync(join(root, ".bundle-size-vite-"));
  try {
    writeFileSync(join(dir, "index.html"), '<!doctype html><script type="module" src="./main.ts"></script>\n');
    writeFileSync(join(dir, "main.ts"), contents);
    await build({ root: dir, logLevel: "silent", configFile: false, build: { outDir: join(dir, "dist"), manifest: true, write: true, target: "es2022", modulePreload: { polyfill: false } } });
    const manifest = JSON.parse(readFileSync(join(dir, "dist", ".vite", "manifest.json"), "utf8"));
    const eager = new Set();
    const visit = (key) => {
      if (eager.has(key)) return;
      eager.add(key);
      for (const imp of manifest[key].imports ?? []) visit(imp);
    };
    visit(Object.keys(manifest).find((k) => manifest[k].isEntry));
    const code = Buffer.concat([...eager].map((k) => readFileSync(join(dir, "dist", manifest[k].file))));
    return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
