#!/usr/bin/env node
// Bundles examples/dashboard/main.ts (berth's browser entry included) with esbuild and serves the
// dashboard on 127.0.0.1. `npm run dashboard` (or `-- --port 9000`), then open the printed URL.
// The page and the engine come from the same origin: the engine's API under /engine, proxied to
// its unix socket (DOCKER_HOST when unix://, else /var/run/docker.sock) by adapters/node-proxy.ts,
// so the page needs no CORS and the engine no TCP port. That proxy refuses other origins and any
// Host but 127.0.0.1:<port>; it has no token, so it is for your own machine only.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
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

/**
 * The proxy module, which is TypeScript: imported as it is under a TypeScript-aware loader (vitest,
 * tsx), through tsx's loader under plain Node.
 */
async function proxyModule() {
  try {
    return await import("../adapters/node-proxy.ts");
  } catch (err) {
    if (err?.code !== "ERR_UNKNOWN_FILE_EXTENSION") throw err;
    const { tsImport } = await import("tsx/esm/api");
    return tsImport("../adapters/node-proxy.ts", import.meta.url);
  }
}

/**
 * Serves examples/dashboard/, the bundle as /main.js and the engine under /engine, on loopback
 * (127.0.0.1 or ::1). Port 0 picks a free one.
 */
export async function startDashboard({ port = 8080, host = "127.0.0.1", engine } = {}) {
  const script = await bundleDashboard();
  const { startEngineProxy } = await proxyModule();
  const proxy = await startEngineProxy({ address: host, port, engine, prefix: "/engine", serve: (req, res) => serveStatic(req, res, script) });
  return { url: proxy.origin, engine: proxy.url, close: () => proxy.close() };
}

async function serveStatic(req, res, script) {
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed");
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    return send(res, 400, "text/plain", "bad request: malformed URL");
  }
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
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(body);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const at = process.argv.indexOf("--port");
  const port = at > 0 ? Number(process.argv[at + 1]) : Number(process.env.PORT ?? 8080);
  const { url, engine } = await startDashboard({ port });
  console.log(`berth dashboard: ${url}  (the engine through ${engine}, loopback only; add ?engine=URL to pick another)`);
}
