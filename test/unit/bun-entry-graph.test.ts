// The Bun entry talks to the engine through Bun's own fetch and Bun.connect; Node's networking
// modules would only cost start-up time (Bun implements them in JavaScript, loaded on first import).
// Bundling adapters/bun.ts with esbuild's metafile lists every module its static imports reach.

import { describe, expect, it } from "vitest";
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NETWORKING = ["node:http", "node:https", "node:net", "node:tls", "node:http2"];

async function staticNodeImports(entry: string): Promise<Map<string, string[]>> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    external: ["node:*", "bun"],
    logLevel: "silent",
  });
  const found = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile!.inputs)) {
    for (const imported of input.imports) {
      if (!imported.path.startsWith("node:") || imported.kind === "dynamic-import") continue;
      found.set(imported.path, [...(found.get(imported.path) ?? []), file]);
    }
  }
  return found;
}

describe("the Bun entry's module graph", () => {
  it("has no node:http, https, net or tls", async () => {
    const imports = await staticNodeImports("adapters/bun.ts");
    const networking = NETWORKING.filter((m) => imports.has(m)).map((m) => `${m} (from ${imports.get(m)!.join(", ")})`);
    expect(networking).toEqual([]);
    // The check sees imports at all: the entry does read files and the Docker config through Node's modules.
    expect(imports.has("node:fs")).toBe(true);
  });

  it("the same check finds them in the Node entry", async () => {
    const imports = await staticNodeImports("adapters/node.ts");
    expect(NETWORKING.filter((m) => imports.has(m))).toEqual(expect.arrayContaining(["node:http", "node:https", "node:net", "node:tls"]));
  });
});
