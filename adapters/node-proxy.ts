// A loopback HTTP endpoint for an engine that listens on its unix socket only, for web pages: the
// browser tests (test/browser) and the dashboard (scripts/dashboard.mjs) reach the engine through it.
//
// What it lets in: requests whose Host is its own loopback address and port (a DNS-rebound name
// is refused), and whose Origin is its own or one it was given; requests a browser marks as coming
// from another site (Sec-Fetch-Site) without such an Origin are refused too. The origins it was
// given get CORS answers (preflight included); every other origin gets 403, for plain requests
// (a cross-site text/plain POST needs no preflight, so CORS alone would not stop it) and WebSocket
// upgrades alike (the engine's own /attach/ws answers any Origin). It streams both ways without
// buffering: request and response bodies as they come, and an upgraded connection (attach, exec,
// the WebSocket attach) is two raw sockets piped together after the request head.
//
// It has no authentication: any local process can use it, as it can use the socket it is a door
// to (when it may). So it binds loopback only, and is a development and test tool; a gateway for
// real use adds a per-run token: adapters/gateway.ts, which shares the helpers exported here.

import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { DEFAULT_UNIX_SOCKET, parseDockerHost } from "../src/config/host.ts";
import { DockerConfigError } from "../src/errors.ts";

export interface EngineProxyOptions {
  /**
   * The engine behind the proxy: a DOCKER_HOST value, `unix://` or plain `tcp://`/`http://`.
   * Defaults to DOCKER_HOST when it is one of those, else unix:///var/run/docker.sock.
   */
  engine?: string;
  /** The loopback address to listen on: `127.0.0.1` (the default) or `::1`. Nothing else. */
  address?: "127.0.0.1" | "::1";
  /** The port; 0 (the default) picks a free one. */
  port?: number;
  /**
   * Origins besides the proxy's own that may use it, answered with CORS (e.g. a test page served
   * on another port: `http://127.0.0.1:5173`). Exact `scheme://host:port` strings; no wildcards.
   */
  origins?: string[];
  /**
   * Serve the engine under this path only (e.g. `/engine`: `/engine/v1.41/info` reaches `/v1.41/info`);
   * every other path goes to `serve`. Without it, every path is the engine's.
   */
  prefix?: string;
  /** Answers the requests outside `prefix`, after the Host and Origin checks. */
  serve?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface EngineProxy {
  /** The engine's URL through the proxy (its origin plus `prefix`), for `new Docker({ url })`. */
  url: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  /** Stops listening and ends every connection, upgraded ones included. */
  close(): Promise<void>;
}

export type Target = { socketPath: string } | { host: string; port: number };

// What dockerd's --api-cors-header answers, so a page sees through the proxy what it would see
// from such an engine (no exposed headers: Api-Version stays hidden, as berth expects).
const CORS_METHODS = "HEAD, GET, POST, DELETE, PUT, OPTIONS";
const CORS_HEADERS = "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth";
/** Connection-level headers, which are not forwarded (RFC 9110 section 7.6.1). */
export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

export async function startEngineProxy(options: EngineProxyOptions = {}): Promise<EngineProxy> {
  const address = options.address ?? "127.0.0.1";
  if (address !== "127.0.0.1" && address !== "::1") throw new DockerConfigError(`address="${address}": the engine proxy listens on loopback only (127.0.0.1 or ::1)`);
  const prefix = options.prefix?.replace(/\/+$/, "");
  if (prefix !== undefined && !/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(prefix)) throw new DockerConfigError(`prefix="${options.prefix}": expected a path such as /engine`);
  if (prefix !== undefined && !options.serve) throw new DockerConfigError("prefix needs serve, for the paths outside it");
  const target = targetOf(options.engine ?? process.env.DOCKER_HOST);
  const origins = new Set(options.origins ?? []);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/?#\s]+$/.test(origin)) throw new DockerConfigError(`origins: "${origin}" is not an origin (scheme://host:port, no path)`);
  }
  const agent = new Agent({ keepAlive: true });
  const upgraded = new Set<Duplex>();
  let host = ""; // the Host header a request must carry: our address and port
  let self = ""; // our own origin

  /** Why a request is refused, or undefined when it may go on. */
  function refusal(req: IncomingMessage): string | undefined {
    if (req.headers.host !== host) return `Host "${req.headers.host ?? ""}" is not this proxy's address ${host}`;
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (origin !== self && !origins.has(origin)) return `Origin ${origin} is not allowed`;
    } else {
      // Browsers send Origin on every cross-origin request but a plain GET (an <img>, a <script>):
      // such a request, marked by the browser as coming from elsewhere, is refused too.
      const site = req.headers["sec-fetch-site"];
      if (site !== undefined && site !== "same-origin" && site !== "none") return `a ${site} request without an allowed Origin`;
    }
    return undefined;
  }

  /** The engine's path for a request, or undefined when it is not the engine's. */
  function enginePath(url: string): string | undefined {
    if (prefix === undefined) return url.startsWith("/") ? url : undefined;
    if (url === prefix || url.startsWith(prefix + "?")) return "/" + url.slice(prefix.length);
    return url.startsWith(prefix + "/") ? url.slice(prefix.length) : undefined;
  }

  // No request timeout: an image load or a build context may take longer than Node's default 5 min.
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    const why = refusal(req);
    if (why) return void plain(res, 403, `forbidden: ${why}\n`);
    const origin = req.headers.origin;
    const cors = origin !== undefined && origin !== self;
    const path = enginePath(req.url ?? "");
    if (path === undefined) {
      if (!options.serve) return void plain(res, 400, "bad request target\n");
      return void Promise.resolve()
        .then(() => options.serve!(req, res))
        .catch(() => {
          if (!res.headersSent) plain(res, 500, "internal error\n");
          else res.destroy();
        });
    }
    if (cors && req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.writeHead(204, { "access-control-allow-origin": origin, "access-control-allow-methods": CORS_METHODS, "access-control-allow-headers": CORS_HEADERS, vary: "Origin" }).end();
      return;
    }
    const upstream = httpRequest({ ...target, agent, method: req.method, path, headers: forwardHeaders(req.headers, target) }, (answer) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        // The engine's own CORS headers (an engine started with --api-cors-header) never pass.
        if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith("access-control-")) continue;
        headers[name] = value;
      }
      if (cors) Object.assign(headers, { "access-control-allow-origin": origin, vary: "Origin" });
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      res.flushHeaders(); // a stream's headers now, before its first chunk (logs, events)
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) plain(res, 502, `the engine did not answer: ${err.message}\n`);
      else res.destroy();
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.on("error", () => upstream.destroy());
    req.pipe(upstream);
  });

  // Attach, exec and /attach/ws: checked like any request, then the head goes to the engine as it
  // came and the two connections are piped; the engine's answer (101 or an error) passes through.
  server.on("upgrade", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const why = refusal(req);
    const path = why ? undefined : enginePath(req.url ?? "");
    if (why || path === undefined) {
      const body = why ? `forbidden: ${why}\n` : "not found\n";
      client.end(`HTTP/1.1 ${why ? "403 Forbidden" : "404 Not Found"}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      client.on("error", () => {});
      return;
    }
    const engine: Socket = "socketPath" in target ? connect({ path: target.socketPath, allowHalfOpen: true }) : connect({ host: target.host, port: target.port, allowHalfOpen: true });
    upgraded.add(client);
    const lines = [`${req.method} ${path} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      lines.push(name.toLowerCase() === "host" ? `Host: ${hostOf(target)}` : `${name}: ${req.rawHeaders[i + 1]}`);
    }
    engine.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length > 0) engine.write(head);
    // Half-closes pass through (closing stdin of an exec or attach ends one direction only).
    engine.pipe(client);
    client.pipe(engine);
    let answered = false;
    engine.once("data", () => (answered = true));
    const fail = () => {
      upgraded.delete(client);
      engine.destroy();
      client.destroy();
    };
    engine.on("error", (err) => {
      if (answered) return fail();
      // Nothing came back yet (no socket, say): the client gets an answer, not a silent close.
      const body = `the engine did not answer: ${err.message}\n`;
      client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    // The engine done: what it sent is flushed to the client, then the client's side ends (not
    // destroyed: that could drop the last bytes). The client gone: nobody reads the engine any more.
    engine.on("close", () => {
      if (!client.writableEnded) client.end();
    });
    client.on("error", fail).on("close", () => {
      upgraded.delete(client);
      engine.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  host = `${address === "::1" ? "[::1]" : address}:${port}`;
  self = `http://${host}`;
  return {
    url: self + (prefix ?? ""),
    origin: self,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        agent.destroy();
      }),
  };
}

export function targetOf(engine: string | undefined): Target {
  if (engine === undefined || engine === "") return { socketPath: DEFAULT_UNIX_SOCKET };
  const parsed = parseDockerHost(engine, { source: "engine" });
  if (parsed.kind === "unix") return { socketPath: parsed.path };
  if (parsed.kind === "tcp" && parsed.protocol === "http") return { host: parsed.hostname, port: parsed.port };
  throw new DockerConfigError(`engine="${engine}": the engine proxy forwards to a unix:// socket or a plain tcp:// engine`);
}

export function hostOf(target: Target): string {
  return "socketPath" in target ? "docker" : `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
}

export function forwardHeaders(headers: IncomingHttpHeaders, target: Target): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  out.host = hostOf(target);
  return out;
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" }).end(body);
}
