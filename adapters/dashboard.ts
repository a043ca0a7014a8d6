// The dashboard (examples/dashboard), served by the gateway: `npx berth-docker dashboard`.
//
// The page comes from the gateway's own origin, behind its token: the one-time URL sets the
// cookie, the page then reaches the Engine API beside it (`new Docker({ url: location.origin })`)
// and exec over the gateway's WebSocket. The gateway's Host, Origin and Sec-Fetch-Site checks
// apply to the page as to the API, so no other site can load it or drive the engine through it.
//
// The page is the built one (scripts/build-dashboard.mjs writes dist/dashboard/ in `npm run
// build`; the package ships it, its script and style brotli-compressed to keep the package
// small): a fixed set of files read (and decompressed) once at start, so no request path can name
// any other file.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { brotliDecompress } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";
import { DockerConfigError } from "../src/errors/errors.ts";
import { serveGateway, type Gateway, type GatewayOptions } from "./gateway.ts";

export interface DashboardOptions extends Omit<GatewayOptions, "serve"> {
  /** The built dashboard's folder (index.html, main.js, style.css, each possibly as `.br`): the package's `dist/dashboard`. */
  assets: string;
}

/** The files of a built dashboard, by the path that serves them. */
export const DASHBOARD_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/main.js": { file: "main.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

// The page loads only its own script and style and talks only to its origin ('self' covers
// ws: on the same host and port); the terminal emulator sets inline styles. No framing: a
// dashboard with buttons that stop containers is no page for another site to overlay (clickjacking).
const PAGE_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Answers the dashboard's files from memory; anything else is 404, a method other than GET or HEAD 405. */
export async function dashboardHandler(assets: string): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  if (typeof assets !== "string" || assets === "") throw new DockerConfigError("assets: expected the built dashboard's folder (dist/dashboard in the package)");
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const [path, { file, type }] of Object.entries(DASHBOARD_FILES)) {
    const body = await readFile(join(assets, file)).catch(() =>
      readFile(join(assets, `${file}.br`)).then(
        (compressed) => promisify(brotliDecompress)(compressed),
        () => {
          throw new DockerConfigError(`assets: ${join(assets, file)} is missing: build the dashboard (npm run build) or point assets at a built one`);
        },
      ),
    );
    files.set(path, { type, body });
  }
  return (req, res) => {
    const q = (req.url ?? "/").indexOf("?");
    const file = files.get(q < 0 ? req.url ?? "/" : req.url!.slice(0, q));
    if (!file) return void res.writeHead(404, { "content-type": "text/plain; charset=utf-8", ...PAGE_HEADERS }).end("not found\n");
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { allow: "GET, HEAD", ...PAGE_HEADERS }).end();
    res.writeHead(200, { "content-type": file.type, "content-length": file.body.length, ...PAGE_HEADERS });
    res.end(req.method === "HEAD" ? undefined : file.body);
  };
}

/** The gateway with the dashboard as its page. Open `url` (the one-time URL) once. */
export async function serveDashboard(options: DashboardOptions): Promise<Gateway> {
  const { assets, ...gateway } = options ?? ({} as DashboardOptions);
  return serveGateway({ ...gateway, serve: await dashboardHandler(assets) });
}
