import { defineConfig } from "tsup";

// The JavaScript of the npm package: one entry per runtime, each the core plus its adapter. All
// entries of a format are built together with code splitting, so the core is written once per
// format (a shared chunk) rather than once per runtime (lite, the standalone functions, shares it too), and what browsers cannot use (the HTTP
// upgrade, directory builds, the tar writer) stays in chunks loaded on demand. Node 20 and Bun
// load ESM; CommonJS is built for Node's require() and for tools that require() browser code
// (test runners with a DOM). Deno and Bun get ESM only. No source maps: the package does not
// ship the sources they would point at.
//
// Declarations are not bundled here: tsc writes them once for all entries (scripts/build-types.mjs),
// so the generated API types are declared one time, not once per entry and format.
const common = {
  target: "es2022",
  platform: "neutral" as const,
  external: [/^node:/, "bun"],
  treeshake: true,
  splitting: true,
  sourcemap: false,
  dts: false,
  outDir: "dist",
};

export default defineConfig([
  {
    ...common,
    clean: true,
    format: ["esm"],
    entry: { node: "adapters/node.ts", bun: "adapters/bun.ts", deno: "adapters/deno.ts", browser: "adapters/browser.ts", lite: "adapters/lite.ts" },
  },
  { ...common, format: ["cjs"], entry: { node: "adapters/node.ts", browser: "adapters/browser.ts", lite: "adapters/lite.ts" } },
]);
