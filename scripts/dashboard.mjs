#!/usr/bin/env node
// Bundles examples/dashboard/main.ts (berth's browser entry included) with esbuild and serves the
// dashboard on 127.0.0.1. `npm run dashboard` (or `-- --port 9000`), then open the printed URL.
// The engine must answer the page's origin: dockerd --api-cors-header (scripts/engine.sh does).
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIR = join(ROOT, "examples", "dashboard");
const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon" };

/** The dashboard's script: main.ts and everything it imports, as one ES module. */
export async function bundleDashboard({ minify = false } = {}) {
  const result = await build({
    entryPoints: [join(DIR, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify,
    sourcemap: "inline",
    write: false,
    logLevel: "warning",
  });
  return result.outputFiles[0].text;
}

/** Serves examples/dashboard/ and the bundle as /main.js. Port 0 picks a free one. */
export async function startDashboard({ port = 8080, host = "127.0.0.1" } = {}) {
  const script = await bundleDashboard();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/main.js") return send(res, 200, "text/javascript; charset=utf-8", script);
    const file = resolve(DIR, "." + (path === "/" ? "/index.html" : path));
    const type = TYPES[extname(file)];
    // Only the dashboard's own static files: no path outside its folder, no sources.
    if (!file.startsWith(DIR + sep) || !type) return send(res, 404, "text/plain", "not found");
    try {
      send(res, 200, type, await readFile(file));
    } catch {
      send(res, 404, "text/plain", "not found");
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(body);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const at = process.argv.indexOf("--port");
  const port = at > 0 ? Number(process.argv[at + 1]) : Number(process.env.PORT ?? 8080);
  const { url } = await startDashboard({ port });
  console.log(`berth dashboard: ${url}  (engine default http://127.0.0.1:2375; add ?engine=URL to pick another)`);
}
