// What each entry makes a program load, checked on esbuild's metafile: code a program may never
// use is loaded on demand (a chunk of its own in a split build), or, where no runtime of that
// entry can use it, not referenced at all (so even a one-file bundle, which inlines what loads
// on demand, leaves it out). The Bun entry talks to the engine through Bun's own fetch and
// Bun.connect: Node's networking modules would only cost it start-up time (Bun implements them
// in JavaScript, loaded on first import).

import { describe, expect, it } from "vitest";
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
// @ts-expect-error: a plain .mjs helper shared with scripts/browser-size.mjs
import { oneFileBundle } from "../../scripts/lib/bundle-size.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NETWORKING = ["node:http", "node:https", "node:net", "node:tls", "node:http2"];

/**
 * What an entry's static imports reach (dynamic imports not followed): its modules, and each
 * node:* module with the files that import it.
 */
async function staticGraph(entry: string): Promise<{ modules: string[]; builtins: Map<string, string[]> }> {
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
  const { inputs, outputs } = result.metafile!;
  const seen = new Set<string>();
  const visit = (out: string): void => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const imp of outputs[out]!.imports) if (imp.kind === "import-statement" && outputs[imp.path]) visit(imp.path);
  };
  visit(Object.keys(outputs).find((k) => outputs[k]!.entryPoint === entry)!);
  const modules = [...seen].flatMap((out) => Object.keys(outputs[out]!.inputs));
  const builtins = new Map<string, string[]>();
  for (const file of modules) {
    for (const imported of inputs[file]?.imports ?? []) {
      if (!imported.path.startsWith("node:") || imported.kind === "dynamic-import") continue;
      builtins.set(imported.path, [...(builtins.get(imported.path) ?? []), file]);
    }
  }
  return { modules, builtins };
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
    const { modules } = await staticGraph("src/buildkit/build-stream.ts");
    expect(modules).toContain("src/buildkit/model.ts");
    expect(modules).not.toContain("src/buildkit/status.ts");
    expect(modules).not.toContain("src/protobuf/reader.ts");
  });
});

describe("the server entries", () => {
  it.each(["adapters/node.ts", "adapters/bun.ts"])("%s loads the tar code, the gateway and the dashboard on first call", async (entry) => {
    const { modules } = await staticGraph(entry);
    expect(modules).toContain("src/request/engine.ts");
    for (const lazy of ["src/streams/tar.ts", "adapters/node-archive.ts", "adapters/gateway.ts", "adapters/dashboard.ts", "src/transport/http/upgrade.ts", "src/buildkit/session/session.ts"]) {
      expect(modules).not.toContain(lazy);
    }
  });

  it("the Bun entry has no node:http, https, net or tls", async () => {
    const { builtins } = await staticGraph("adapters/bun.ts");
    const networking = NETWORKING.filter((m) => builtins.has(m)).map((m) => `${m} (from ${builtins.get(m)!.join(", ")})`);
    expect(networking).toEqual([]);
    // The check sees imports at all: the entry does read files and the Docker config through Node's modules.
    expect(builtins.has("node:fs")).toBe(true);
  });

  it("the same check finds node:http and node:net in the Node entry; TLS, the gateway's and dashboard's modules load on demand", async () => {
    const { builtins } = await staticGraph("adapters/node.ts");
    expect(NETWORKING.filter((m) => builtins.has(m))).toEqual(["node:http", "node:net"]);
    for (const lazy of ["node:https", "node:tls", "node:crypto", "node:zlib"]) expect(builtins.has(lazy)).toBe(false);
  });
});
