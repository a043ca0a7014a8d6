// What each entry makes a program load, checked on esbuild's metafile: code a program may never
// use is loaded on demand (a chunk of its own in a split build), or, where no runtime of that
// entry can use it, not referenced at all (so even a one-file bundle, which inlines what loads
// on demand, leaves it out).

import { describe, expect, it } from "vitest";
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
// @ts-expect-error: a plain .mjs helper shared with scripts/browser-size.mjs
import { oneFileBundle } from "../../scripts/lib/bundle-size.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The modules an entry's static imports reach (dynamic imports not followed). */
async function staticGraph(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    splitting: true,
    outdir: "out", // never written
    external: ["node:*", "bun"],
    logLevel: "silent",
  });
  const outputs = result.metafile!.outputs;
  const entryOut = Object.keys(outputs).find((k) => outputs[k]!.entryPoint === entry)!;
  const seen = new Set<string>();
  const visit = (out: string): void => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const imp of outputs[out]!.imports) if (imp.kind === "import-statement" && outputs[imp.path]) visit(imp.path);
  };
  visit(entryOut);
  return [...seen].flatMap((out) => Object.keys(outputs[out]!.inputs));
}

describe("the browser entry", () => {
  it("never carries the HTTP/1.1 upgrade, even as one file with everything it exports", async () => {
    const all = Object.keys((await oneFileBundle(ROOT, `export * from "./adapters/browser.ts";`)).inputs);
    expect(all).toContain("src/request/engine.ts");
    expect(all.filter((m) => m.startsWith("src/transport/http/") && m !== "src/transport/http/wire.ts")).toEqual([]);
  });
});

describe("a build's progress", () => {
  it("loads BuildKit's trace decoder (and the protobuf reader) with the first trace line", async () => {
    const graph = await staticGraph("src/buildkit/build-stream.ts");
    expect(graph).toContain("src/buildkit/model.ts");
    expect(graph).not.toContain("src/buildkit/status.ts");
    expect(graph).not.toContain("src/protobuf/reader.ts");
  });
});

describe("the server entries", () => {
  it.each(["adapters/node.ts", "adapters/bun.ts"])("%s loads the tar code, the gateway and the dashboard on first call", async (entry) => {
    const graph = await staticGraph(entry);
    expect(graph).toContain("src/request/engine.ts");
    for (const lazy of ["src/streams/tar.ts", "adapters/node-archive.ts", "adapters/gateway.ts", "adapters/dashboard.ts", "src/transport/http/upgrade.ts", "src/buildkit/session/session.ts"]) {
      expect(graph).not.toContain(lazy);
    }
  });
});
