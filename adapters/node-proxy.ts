// A loopback HTTP endpoint for an engine that listens on its unix socket only, for the browser
// test suites (test/browser), whose pages are served on another port and reach the engine through it.
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
// real use adds a per-run token: adapters/gateway.ts. Both forward with adapters/node-forward.ts.

import { Agent, createServer, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { DockerConfigError } from "../src/errors/errors.ts";
import { closeServer, forwardRequest, listen, pipeUpgrade, plain, rawAnswer, targetOf } from "./node-forward.ts";

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
}

export interface EngineProxy {
  /** The engine's URL through the proxy, for `new Docker({ url })`. */
  url: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  /** Stops listening and ends every connection, upgraded ones included. */
  close(): Promise<void>;
}

// What dockerd's --api-cors-header answers, so a page sees through the proxy what it would see
// from such an engine (no exposed headers: Api-Version stays hidden, as berth expects).
const CORS_METHODS = "HEAD, GET, POST, DELETE, PUT, OPTIONS";
const CORS_HEADERS = "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth";

export async function startEngineProxy(options: EngineProxyOptions = {}): Promise<EngineProxy> {
  const address = options.address ?? "127.0.0.1";
  if (address !== "127.0.0.1" && address !== "::1") throw new DockerConfigError(`address="${address}": the engine proxy listens on loopback only (127.0.0.1 or ::1)`);
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
    if (!(req.url ?? "").startsWith("/")) return "the request target is not a path";
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

  // No request timeout: an image load or a build context may take longer than Node's default 5 min.
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    const why = refusal(req);
    if (why) return void plain(res, 403, `forbidden: ${why}\n`);
    const origin = req.headers.origin;
    const cors = origin !== undefined && origin !== self;
    if (cors && req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.writeHead(204, { "access-control-allow-origin": origin, "access-control-allow-methods": CORS_METHODS, "access-control-allow-headers": CORS_HEADERS, vary: "Origin" }).end();
      return;
    }
    forwardRequest(req, res, target, agent, req.url!, cors ? { "access-control-allow-origin": origin, vary: "Origin" } : {});
  });

  // Attach, exec and /attach/ws: checked like any request, then piped to the engine once it
  // accepted the upgrade; its answer (101 or an error) passes through.
  server.on("upgrade", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on("error", () => {});
    const why = refusal(req);
    if (why) return rawAnswer(client, 403, "Forbidden", `forbidden: ${why}\n`);
    upgraded.add(client);
    client.on("close", () => upgraded.delete(client));
    pipeUpgrade(req, client, head, target, req.url!);
  });

  const port = await listen(server, options.port ?? 0, address);
  host = `${address === "::1" ? "[::1]" : address}:${port}`;
  self = `http://${host}`;
  return { url: self, origin: self, port, close: () => closeServer(server, upgraded, agent) };
}
