#!/usr/bin/env node
// Builds the dashboard (examples/dashboard) into a folder the gateway serves (adapters/dashboard.ts):
// index.html, main.js (main.ts, berth's browser entry and the terminal emulator, @xterm/xterm, in
// one ES module) and style.css (the terminal's stylesheet, then the dashboard's). `npm run build`
// writes dist/dashboard/ for the package: minified, without source maps, and the script and style
// brotli-compressed (main.js.br: about 115 KB instead of 480; the gateway decompresses them once
// at start). The browser tests build it into a temporary folder, plain, with source maps.
import { build } from "esbuild";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants } from "node:zlib";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE = join(ROOT, "examples", "dashboard");

export async function buildDashboard({ outdir = join(ROOT, "dist", "dashboard"), minify = true, compress = minify } = {}) {
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
  if (compress) {
    for (const file of ["main.js", "style.css"]) {
      const data = await readFile(join(outdir, file));
      await writeFile(join(outdir, `${file}.br`), await promisify(brotliCompress)(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
      await rm(join(outdir, file));
    }
  }
  return outdir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  console.log(`dashboard built in ${await buildDashboard()}`);
}
