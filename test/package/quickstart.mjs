#!/usr/bin/env node
// Writes the README's quick start (its first ts block) as the app of each packaging-test setup:
//   node test/package/quickstart.mjs <README.md> <dir> <run-label>
// The block runs as written, with two changes the test suite needs: the offline test image for
// "busybox" (no registry pulls in the suite) and the labels every test object carries. Each app
// then prints what the block read from the container, for the script to compare.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [readme, dir, run] = process.argv.slice(2);
const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(readme, "utf8"))?.[1];
if (!block) throw new Error(`${readme}: no ts code block`);
const importLine = 'import { Docker } from "berth-docker";';
const image = 'Image: "busybox"';
for (const [what, needle] of [["import", importLine], ["image", image]]) {
  if (!block.includes(needle)) throw new Error(`${readme}: the quick start (first ts block) no longer has ${what} \`${needle}\`: update test/package/quickstart.mjs`);
}
const body = block
  .replace(importLine, "")
  .replace(image, `Image: "berth-test:busybox", Labels: { "berth.test": "1", "berth.test.run": ${JSON.stringify(run)} }`)
  .trim();
const report = "console.log(JSON.stringify({ stdout, stderr }));";
const esm = (from) => `import { Docker } from "${from}";\n${body}\n${report}\n`;
// CommonJS has no top-level await: the same statements in an async function.
const wrapped = `(async () => {\n${body}\n${report}\n})().catch((error) => {\n  console.error(error);\n  process.exitCode = 1;\n});\n`;

const apps = {
  "node-esm/app.mjs": esm("berth-docker"),
  "node-cjs/app.cjs": `const { Docker } = require("berth-docker");\n${wrapped}`,
  "ts-node16/app.ts": esm("berth-docker"),
  "ts-nodenext/app.ts": esm("berth-docker"),
  "ts-bundler/app.ts": esm("berth-docker"),
  "ts-cjs/app.ts": `import { Docker } from "berth-docker";\n${wrapped}`,
  "deno/app.ts": esm("npm:berth-docker"),
};
for (const [file, text] of Object.entries(apps)) {
  mkdirSync(join(dir, file, ".."), { recursive: true });
  writeFileSync(join(dir, file), text);
}
