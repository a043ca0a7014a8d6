import { defineConfig } from "tsup";

// One entry per runtime; each bundles the core with its adapter. ESM + CJS + .d.ts, except Deno
// (ESM only: Deno loads ESM, and JSR users get the .ts sources through deno.json).
const common = {
  format: ["esm", "cjs"] as ("esm" | "cjs")[],
  dts: true,
  sourcemap: true,
  clean: false,
  target: "es2022",
  platform: "neutral" as const,
  treeshake: true,
  splitting: false,
  outDir: "dist",
};

export default defineConfig([
  { ...common, clean: true, entry: { node: "adapters/node.ts" }, platform: "node" },
  { ...common, entry: { bun: "adapters/bun.ts" }, platform: "node", external: ["bun"] },
  { ...common, entry: { deno: "adapters/deno.ts" }, format: ["esm"] },
  { ...common, entry: { browser: "adapters/browser.ts" }, platform: "browser" },
]);
