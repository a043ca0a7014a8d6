#!/usr/bin/env node
// The npm package's declarations, after `tsc -p tsconfig.build.json` wrote one .d.ts per source
// file under dist/types/ (the generated API types among them, once for every entry):
// - relative imports name the .js files of the declarations (the sources import `./x.ts`, which
//   older compilers and some resolvers do not map to `./x.d.ts`);
// - dist/types/ is marked CommonJS, so that both module formats may import it: an ES module can
//   import CommonJS declarations, while CommonJS importing ES declarations is TS1479;
// - each entry gets a one-line dist/<entry>.d.ts (ESM, beside <entry>.js) and, when it has a
//   CommonJS build, dist/<entry>.d.cts (beside <entry>.cjs), so each JavaScript file's types have
//   its format.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
const types = join(dist, "types");

function* declarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* declarations(path);
    else if (entry.name.endsWith(".d.ts")) yield path;
  }
}

let count = 0;
for (const file of declarations(types)) {
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
  if (fixed !== text) writeFileSync(file, fixed);
  count++;
}
writeFileSync(join(types, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);

for (const entry of ["node", "bun", "deno", "browser", "lite"]) {
  const line = `export * from "./types/adapters/${entry}.js";\n`;
  writeFileSync(join(dist, `${entry}.d.ts`), line);
  if (existsSync(join(dist, `${entry}.cjs`))) writeFileSync(join(dist, `${entry}.d.cts`), line);
}
console.log(`build-types: ${count} declaration files in dist/types`);
