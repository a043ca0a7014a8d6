#!/usr/bin/env node
// Builds the dashboard (examples/dashboard) into a folder the gateway serves (adapters/dashboard.ts):
// index.html, main.js (main.ts, berth's browser entry and the terminal emulator, @xterm/xterm, in
// one ES module) and style.css (the terminal's stylesheet, then the dashboard's). `npm run build`
// writes dist/dashboard/, minified and without source maps, which the package ships; the browser
// tests build it into a temporary folder, with source maps.
import { build } from "esbuild";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE = join(ROOT, "examples", "dashboard");

export async function buildDashboard({ outdir = join(ROOT, "dist", "dashboard"), minify = true } = {}) {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [join(SOURCE, "main.ts")],
    outfile: join(outdir, "main.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify,
    sourcemap: minify ? false : "inline",
    legalComments: "none",
    logLevel: "warning",
  });
  const xtermCss = createRequire(import.meta.url).resolve("@xterm/xterm/css/xterm.css");
  await writeFile(join(outdir, "style.css"), (await readFile(xtermCss, "utf8")) + "\n" + (await readFile(join(SOURCE, "style.css"), "utf8")));
  await copyFile(join(SOURCE, "index.html"), join(outdir, "index.html"));
  return outdir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(`dashboard built in ${await buildDashboard()}`);
}
