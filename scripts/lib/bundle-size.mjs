// What a page loads eagerly from a bundle of `contents` (an entry module): esbuild bundles, splits
// (like the published ESM browser build) and minifies it; counted are the entry and the chunks it
// imports statically, not the modules the core loads on demand. Shared by scripts/browser-size.mjs
// and the benchmark's footprint workload.
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export async function eagerBundle(root, contents, { plugins = [] } = {}) {
  const { build } = await import("esbuild");
  const result = await build({
    stdin: { contents, resolveDir: root, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    splitting: true,
    outdir: join(root, "bundle-size-out"), // never written
    write: false,
    metafile: true,
    logLevel: "silent",
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
