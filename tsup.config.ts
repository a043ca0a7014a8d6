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

// The Node and Bun entries use node:* modules (Bun implements them): their declarations need Node's
// types, which tsconfig.json leaves out so that src/ cannot lean on them.
const nodeTypes = { compilerOptions: { types: ["node"] } };

export default defineConfig([
  { ...common, clean: true, entry: { node: "adapters/node.ts" }, platform: "node", dts: nodeTypes },
  { ...common, entry: { bun: "adapters/bun.ts" }, platform: "node", external: ["bun"], dts: nodeTypes },
  { ...common, entry: { deno: "adapters/deno.ts" }, format: ["esm"] },
  // ESM chunks for the browser: what browsers cannot use (the HTTP upgrade, directory builds) is
  // loaded on demand and stays out of the entry.
  { ...common, entry: { browser: "adapters/browser.ts" }, platform: "browser", format: ["esm"], splitting: true },
  { ...common, entry: { browser: "adapters/browser.ts" }, platform: "browser", format: ["cjs"], dts: false },
]);
