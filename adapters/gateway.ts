// The gateway: the Engine API for web pages and scripts, behind a per-run secret token.
//
// It grows out of the loopback proxy (adapters/node-proxy.ts), forwards as it does
// (adapters/node-forward.ts), and keeps its checks: a Host that is
// its own (no DNS-rebound name), an Origin that is its own or one it was given, no request a
// browser marks as cross-site without such an Origin; it streams both ways without buffering and
// pipes upgraded connections. On top of that:
//
// - a token (256 random bits) printed once as `http://127.0.0.1:PORT/?token=...`: a request
//   carrying it gets an HttpOnly SameSite=Strict cookie and a redirect to the same URL without
//   it; every other request needs the cookie or `Authorization: Bearer <token>`;
// - only the Engine API's own paths (`/_ping`, `/containers/...`, with or without `/v1.xx`) reach
//   the engine, after the path is checked: no dot segments (encoded or not), no empty segment, no
//   backslash or control character, nothing longer than 4 KiB;
// - optional read-only mode (GET and HEAD only, no attach, no exec) and an operation allow-list;
// - `GET /exec/{id}/start/ws`: exec over a WebSocket, which the engine lacks. The gateway starts
//   the exec with the HTTP upgrade itself and bridges its bytes to binary WebSocket frames.
//
// Node's http and net only: Bun and Deno run it through their Node compatibility.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { bracketed } from "../src/config/host.ts";
import { DockerConfigError } from "../src/errors/errors.ts";
import { closeServer, engineSocket, forwardRequest, hostOf, listen, pipeUpgrade, plain, rawAnswer, targetOf, type Target } from "./node-forward.ts";

export interface GatewayOptions {
  /** The engine: a DOCKER_HOST value, `unix://` or plain `tcp://`. Defaults to DOCKER_HOST, else the local socket. */
  engine?: string;
  /**
   * The address to listen on: `127.0.0.1` (the default), `::1`, or any other address when asked
   * (`0.0.0.0` reaches the network: use TLS then).
   */
  host?: string;
  /** The port; 0 (the default) picks a free one. */
  port?: number;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Host names besides the listening address under which the gateway is reached (e.g. the
   * machine's name when listening on 0.0.0.0). Any other Host header is refused.
   */
  hostnames?: string[];
  /** Origins besides the gateway's own that may use it (CORS, cookies included). Exact `scheme://host:port`. */
  origins?: string[];
  /** GET and HEAD only; no attach, no exec. */
  readOnly?: boolean;
  /**
   * The only operations let through, as `METHOD /path` with `{param}` for one path segment and
   * `{param*}` for one or more (image names such as `library/busybox`): `"GET /containers/json"`,
   * `"POST /containers/{id}/start"`, `"GET /images/{name*}/json"`. Matched against the Engine API
   * path without its `/v1.xx` prefix. The WebSocket exec counts as `POST /exec/{id}/start`, the
   * WebSocket attach as `GET /containers/{id}/attach/ws`; `GET`/`HEAD /_ping` is always allowed.
   */
  allow?: string[];
  /** The token, instead of a random one (at least 32 characters). */
  token?: string;
  /** Answers authenticated requests outside the Engine API (a page, a dashboard). Without it they get 404. */
  serve?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface Gateway {
  /** The one-time URL, token included: open it in a browser once. */
  url: string;
  /** The gateway's origin, `http://127.0.0.1:PORT`: the engine's URL for `new Docker({ url })`. */
  origin: string;
  /** For scripts: `Authorization: Bearer <token>`. */
  token: string;
  port: number;
  /** The cookie's name (it carries the port: cookies do not tell ports apart). */
  cookie: string;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
}

/** The first path segment of every Engine API endpoint. */
const ENGINE_ROOTS = new Set([
  "_ping", "auth", "build", "commit", "configs", "containers", "distribution", "events", "exec", "grpc",
  "images", "info", "networks", "nodes", "plugins", "secrets", "services", "session", "swarm", "system",
  "tasks", "version", "volumes",
]);
const MAX_URL = 4096;
/** The engine's endpoints that take a connection over (HTTP upgrade). */
const UPGRADE_ROUTES = [
  { method: "POST", pattern: /^\/containers\/[^/]+\/attach$/ },
  { method: "GET", pattern: /^\/containers\/[^/]+\/attach\/ws$/ },
  { method: "POST", pattern: /^\/exec\/[^/]+\/start$/ },
  { method: "POST", pattern: /^\/(session|grpc)$/ },
];
const CORS_METHODS = "HEAD, GET, POST, DELETE, PUT, OPTIONS";
const CORS_HEADERS = "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth, Authorization";
/** Tells a client it talks to a gateway (and so may use the WebSocket exec). Visible to the pages it serves. */
export const GATEWAY_HEADER = "berth-gateway";

/** A checked Engine API request target. */
export interface EngineRoute {
  /** The target as forwarded (it passed the checks as it is). */
  target: string;
  /** The decoded path without `/v1.xx`, for the allow-list: `/containers/abc/start`. */
  route: string;
  /** `/v1.41` or "". */
  version: string;
}

/**
 * Checks a request target. Returns the route, `undefined` for a path outside the Engine API, or
 * a string saying why the target is refused outright.
 */
export function engineRoute(url: string): EngineRoute | string | undefined {
  if (url.length > MAX_URL) return "the request target is longer than 4096 characters";
  // Origin-form only: an absolute URL, `*` or `//host` is no path of ours.
  if (!url.startsWith("/") || url.startsWith("//")) return "the request target is not a path";
  if (/[\x00-\x20\x7f\\#]/.test(url)) return "the request target holds a control character, a space, a backslash or a #";
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return "the path holds a malformed percent-encoding";
  }
  if (/[\x00-\x1f\x7f\\]/.test(path)) return "the path decodes to a control character or a backslash";
  if (path === "/") return undefined;
  const segments = path.slice(1).split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    // (a trailing slash is an empty last segment: refused like the rest, the engine has no such route)
    return "the path has an empty, . or .. segment";
  }
  let version = "";
  if (/^v\d+\.\d+$/.test(segments[0]!)) {
    version = "/" + segments.shift()!;
    if (segments.length === 0) return undefined;
  }
  if (!ENGINE_ROOTS.has(segments[0]!)) return undefined;
  return { target: url, route: "/" + segments.join("/"), version };
}

/** Compiles `"METHOD /path/{x}/..."` allow-list entries; a malformed one is a DockerConfigError. */
export function compileAllowList(entries: string[]): Array<{ method: string; pattern: RegExp }> {
  return entries.map((entry) => {
    const m = /^(GET|HEAD|POST|PUT|DELETE) (\/(?:[A-Za-z0-9_.-]+|\{[A-Za-z]+\*?\})(?:\/(?:[A-Za-z0-9_.-]+|\{[A-Za-z]+\*?\}))*)$/.exec(entry);
    if (!m || m[2]!.split("/").some((s) => s === "." || s === "..")) throw new DockerConfigError(`allow: "${entry}" is not an operation: expected METHOD /path, e.g. "GET /containers/json" or "POST /containers/{id}/start" ({name*} for names with a slash)`);
    const source = m[2]!
      .split("/")
      .slice(1)
      .map((s) => (s.startsWith("{") ? (s.endsWith("*}") ? "[^/]+(?:/[^/]+)*" : "[^/]+") : s.replace(/\./g, "\\.")))
      .join("/");
    return { method: m[1]!, pattern: new RegExp(`^/${source}$`) };
  });
}

export async function serveGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const listenHost = options.host ?? "127.0.0.1";
  if (typeof listenHost !== "string" || !/^[A-Za-z0-9.:-]+$/.test(listenHost)) throw new DockerConfigError(`host="${String(listenHost)}": expected an address such as 127.0.0.1, ::1 or 0.0.0.0`);
  const target: Target = targetOf(options.engine ?? process.env.DOCKER_HOST);
  const token = options.token ?? randomBytes(32).toString("base64url");
  if (typeof token !== "string" || !/^[A-Za-z0-9_-]{32,}$/.test(token)) throw new DockerConfigError("token: expected at least 32 characters of A-Z a-z 0-9 _ -");
  const tokenDigest = digest(token);
  const origins = new Set(options.origins ?? []);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/?#\s]+$/.test(origin)) throw new DockerConfigError(`origins: "${origin}" is not an origin (scheme://host:port, no path)`);
  }
  const allow = options.allow === undefined ? undefined : compileAllowList(options.allow);
  const readOnly = options.readOnly === true;
  const scheme = options.tls ? "https" : "http";
  const agent = new Agent({ keepAlive: true });
  const upgraded = new Set<Duplex>();
  const hosts = new Set<string>(); // the Host headers a request may carry
  const selves = new Set<string>(); // our own origins
  let cookie = "";

  const authorized = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization;
    if (auth !== undefined && auth.startsWith("Bearer ") && same(auth.slice(7))) return true;
    const value = cookieValue(req.headers.cookie, cookie);
    return value !== undefined && same(value);
  };
  const same = (candidate: string) => timingSafeEqual(digest(candidate), tokenDigest);

  /** Why a request is refused (status and reason), or undefined. */
  function refusal(req: IncomingMessage): [number, string] | undefined {
    if (!hosts.has(req.headers.host ?? "")) return [403, "this Host is not the gateway's address"];
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!selves.has(origin) && !origins.has(origin)) return [403, `Origin ${origin} is not allowed`];
    } else {
      const site = req.headers["sec-fetch-site"];
      if (site !== undefined && site !== "same-origin" && site !== "none") return [403, `a ${site} request without an allowed Origin`];
    }
    return undefined;
  }

  /** Why an authenticated Engine API operation is refused, or undefined. */
  function forbidden(method: string, route: string, interactive: boolean): string | undefined {
    if (route === "/_ping" && (method === "GET" || method === "HEAD")) return undefined;
    if (readOnly && (interactive || (method !== "GET" && method !== "HEAD"))) return `${method} ${route}: the gateway is read-only`;
    if (readOnly && /^\/(containers\/[^/]+\/attach(\/ws)?|exec\/[^/]+\/start(\/ws)?|session|grpc)$/.test(route)) return `${method} ${route}: the gateway is read-only`;
    if (allow && !allow.some((a) => a.method === method && a.pattern.test(route))) return `${method} ${route} is not in the gateway's allow-list`;
    return undefined;
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const refused = refusal(req);
    if (refused) return void plain(res, refused[0], `forbidden: ${refused[1]}\n`);
    const origin = req.headers.origin;
    const cors = origin !== undefined && !selves.has(origin) ? origin : undefined;
    const corsHeaders: Record<string, string> = cors ? { "access-control-allow-origin": cors, "access-control-allow-credentials": "true", "access-control-expose-headers": GATEWAY_HEADER, vary: "Origin" } : {};
    if (cors && req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.writeHead(204, { ...corsHeaders, "access-control-allow-methods": CORS_METHODS, "access-control-allow-headers": CORS_HEADERS }).end();
      return;
    }
    const url = req.url ?? "";
    // The one-time URL: trade the token for the cookie, and drop it from the address bar.
    const offered = tokenParam(url);
    if (offered !== undefined && (req.method === "GET" || req.method === "HEAD")) {
      if (!same(offered)) return void plain(res, 401, "unauthorized: the token is not this gateway's\n", corsHeaders);
      const secure = options.tls ? "; Secure" : "";
      res.writeHead(303, {
        ...corsHeaders,
        location: withoutToken(url),
        "set-cookie": `${cookie}=${token}; HttpOnly; SameSite=Strict; Path=/${secure}`,
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "content-length": 0,
      });
      return void res.end();
    }
    if (!authorized(req)) {
      return void plain(res, 401, "unauthorized: open the URL the gateway printed, or send Authorization: Bearer <token>\n", { ...corsHeaders, "www-authenticate": 'Bearer realm="berth gateway"' });
    }
    const route = engineRoute(url);
    if (typeof route === "string") return void plain(res, 400, `bad request target: ${route}\n`, corsHeaders);
    if (route === undefined) {
      if (!options.serve) {
        if (url === "/" && (req.method === "GET" || req.method === "HEAD")) return void landing(res);
        return void plain(res, 404, "not found: this gateway serves the Engine API (/_ping, /containers/json, ...)\n", corsHeaders);
      }
      return void Promise.resolve()
        .then(() => options.serve!(req, res))
        .catch(() => {
          if (!res.headersSent) plain(res, 500, "internal error\n");
          else res.destroy();
        });
    }
    const why = forbidden(req.method ?? "", route.route, false);
    if (why) return void plain(res, 403, `forbidden: ${why}\n`, corsHeaders);
    forwardRequest(req, res, target, agent, route.target, { ...corsHeaders, [GATEWAY_HEADER]: "1" });
  };

  const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, requestTimeout: 0 }, handler) : createServer({ requestTimeout: 0 }, handler);

  server.on("upgrade", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on("error", () => {});
    const answer = (status: number, reason: string, body: string) => rawAnswer(client, status, reason, body);
    const refused = refusal(req);
    if (refused) return answer(403, "Forbidden", `forbidden: ${refused[1]}\n`);
    if (!authorized(req)) return answer(401, "Unauthorized", "unauthorized\n");
    const route = engineRoute(req.url ?? "");
    if (typeof route === "string") return answer(400, "Bad Request", `bad request target: ${route}\n`);
    if (route === undefined) return answer(404, "Not Found", "not found\n");
    const exec = /^\/exec\/([^/]+)\/start\/ws$/.exec(route.route);
    const why = exec ? forbidden("POST", `/exec/${exec[1]}/start`, true) : forbidden(req.method ?? "", route.route, true);
    if (why) return answer(403, "Forbidden", `forbidden: ${why}\n`);
    upgraded.add(client);
    client.on("close", () => upgraded.delete(client));
    if (exec) return void execWebSocket(req, client, head, target, agent, route.version, encodeURIComponent(exec[1]!));
    // Only the engine's own upgrade endpoints: an Upgrade header on any other request would turn
    // the connection into a raw pipe that carries whatever requests follow, unchecked.
    if (!UPGRADE_ROUTES.some((r) => r.method === req.method && r.pattern.test(route.route))) return answer(400, "Bad Request", `bad request: ${req.method} ${route.route} is no upgrade endpoint\n`);
    pipeUpgrade(req, client, head, target, route.target);
  });

  const port = await listen(server, options.port ?? 0, listenHost);
  const literal = bracketed(listenHost);
  const names = [literal, ...(options.hostnames ?? [])];
  if (["127.0.0.1", "::1", "localhost"].includes(listenHost)) names.push("localhost");
  const defaultPort = (options.tls && port === 443) || (!options.tls && port === 80);
  for (const name of names) {
    hosts.add(`${name}:${port}`);
    selves.add(`${scheme}://${name}:${port}`);
    if (defaultPort) {
      hosts.add(name);
      selves.add(`${scheme}://${name}`);
    }
  }
  cookie = `berth-gateway-${port}`;
  const origin = `${scheme}://${listenHost === "0.0.0.0" || listenHost === "::" ? "127.0.0.1" : literal}:${port}`;
  if (listenHost === "0.0.0.0" || listenHost === "::") {
    hosts.add(`127.0.0.1:${port}`);
    selves.add(`${scheme}://127.0.0.1:${port}`);
  }
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    cookie,
    close: () => closeServer(server, upgraded, agent),
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function tokenParam(url: string): string | undefined {
  const q = url.indexOf("?");
  if (q < 0) return undefined;
  const value = new URLSearchParams(url.slice(q + 1)).get("token");
  return value ?? undefined;
}

function withoutToken(url: string): string {
  const q = url.indexOf("?");
  const params = new URLSearchParams(url.slice(q + 1));
  params.delete("token");
  const rest = params.toString();
  const path = url.slice(0, q);
  // Only a path of ours: `//evil.example` would be another site to the browser.
  const safe = /^\/(?!\/)/.test(path) && !/[\\\x00-\x20]/.test(path) ? path : "/";
  return safe + (rest ? `?${rest}` : "");
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** What the one-time URL leads to when the gateway serves no page of its own. */
function landing(res: ServerResponse): void {
  const body =
    '<!doctype html><meta charset="utf-8"><title>berth gateway</title><p>This browser may now use the Engine API at this origin, ' +
    'e.g. <code>new Docker({ url: location.origin })</code> from berth-docker/browser on a page served here. <a href="/_ping">/_ping</a>\n';
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" }).end(body);
}

// --- exec over a WebSocket ------------------------------------------------------------------
//
// The browser's side: binary frames are stdin; the text frame `{"stdin":"close"}` closes stdin
// (the process reads EOF, output goes on); a close frame ends the whole exec connection. The
// gateway's side: binary frames carry the engine's bytes as they come (multiplexed with 8-byte
// headers unless the exec has a TTY, as over the plain upgrade); when the engine ends, a close
// frame 1000. When the engine refuses the start (a paused container, an exec already run), the
// WebSocket opens and closes at once with code 4000 + the HTTP status and the engine's message
// as reason, for the client to report.

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_FRAME = 16 * 1024 * 1024;

async function execWebSocket(req: IncomingMessage, client: Duplex, head: Buffer, target: Target, agent: Agent, version: string, id: string): Promise<void> {
  const key = req.headers["sec-websocket-key"];
  if (String(req.headers.upgrade).toLowerCase() !== "websocket" || typeof key !== "string" || req.headers["sec-websocket-version"] !== "13") {
    return void client.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  }
  const accept = createHash("sha1").update(key + WS_GUID).digest("base64");
  const open = () => client.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const fail = (status: number, message: string) => {
    open();
    client.end(closeFrame(4000 + Math.min(Math.max(status, 0), 999), message));
  };
  // The exec's TTY setting decides nothing here but the start body, which must repeat it.
  const inspected = await engineJson(target, agent, `${version}/exec/${id}/json`).catch((err: Error) => ({ status: 502, body: { message: `the engine did not answer: ${err.message}` } }));
  if (inspected.status !== 200) return fail(inspected.status, messageOf(inspected.body));
  const tty = (inspected.body as { ProcessConfig?: { tty?: boolean } }).ProcessConfig?.tty === true;
  const body = JSON.stringify({ Detach: false, Tty: tty });
  const engine = engineSocket(target);
  upgradedPair(client, engine);
  engine.on("error", () => client.destroy());
  engine.write(
    `POST ${version}/exec/${id}/start HTTP/1.1\r\nHost: ${hostOf(target)}\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // The engine's answer head, then raw bytes (an engine may answer 200 rather than 101: same stream).
  let buffered = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0) {
      if (buffered.length > 64 * 1024) engine.destroy();
      return;
    }
    engine.off("data", onHead);
    const headText = buffered.subarray(0, end).toString("latin1");
    const rest = buffered.subarray(end + 4);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 502);
    if (status !== 101 && status !== 200) {
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? -1);
      let errorBody = rest;
      const done = () => {
        engine.destroy();
        fail(status, messageOf(errorBody.toString("utf8")));
      };
      if (length >= 0 && errorBody.length >= length) return done();
      engine.on("data", (c: Buffer) => {
        errorBody = Buffer.concat([errorBody, c]);
        if (length >= 0 && errorBody.length >= length) done();
      });
      engine.on("end", done);
      return;
    }
    open();
    bridge(client, head, engine, rest);
  };
  engine.on("data", onHead);
}

/** Either side gone: the other goes too. */
function upgradedPair(client: Duplex, engine: Socket): void {
  client.on("close", () => engine.destroy());
}

function bridge(client: Duplex, head: Buffer, engine: Socket, first: Buffer): void {
  // engine -> client: each chunk one binary frame, with backpressure.
  const send = (chunk: Buffer) => {
    if (!client.write(frame(2, chunk))) {
      engine.pause();
      client.once("drain", () => engine.resume());
    }
  };
  if (first.length) send(first);
  engine.on("data", send);
  let closing = false;
  engine.on("end", () => {
    if (closing) return;
    closing = true;
    client.end(closeFrame(1000, ""));
  });
  engine.on("close", () => {
    if (!closing) {
      closing = true;
      client.end(closeFrame(1011, "the engine closed the connection"));
    }
  });
  // client -> engine: parse masked frames.
  let pending = head;
  let fragments: Buffer[] = [];
  let fragmentOpcode = 0;
  const onData = (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const parsed = parseFrame(pending);
      if (parsed === undefined) return;
      if (parsed === "too big") {
        client.end(closeFrame(1009, "frame too big"));
        return void engine.destroy();
      }
      pending = pending.subarray(parsed.length);
      const { fin, opcode, payload } = parsed;
      if (opcode === 8) {
        // The browser closed: answer, and end the exec connection.
        if (!closing) {
          closing = true;
          client.end(closeFrame(1000, ""));
        }
        engine.destroy();
        return;
      }
      if (opcode === 9) {
        client.write(frame(10, payload));
        continue;
      }
      if (opcode === 10) continue;
      if (opcode === 1 || opcode === 2) {
        fragmentOpcode = opcode;
        fragments = [];
      }
      fragments.push(payload);
      if (!fin) continue;
      const message = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
      fragments = [];
      if (fragmentOpcode === 2) {
        if (!engine.writableEnded && !engine.write(message)) {
          client.pause();
          engine.once("drain", () => client.resume());
        }
      } else if (message.toString("utf8") === '{"stdin":"close"}') {
        engine.end(); // half-close: the process reads EOF
      }
    }
  };
  client.on("data", onData);
  client.on("end", () => engine.destroy());
  if (head.length) {
    pending = Buffer.alloc(0);
    onData(head);
  }
}

function parseFrame(buf: Buffer): { fin: boolean; opcode: number; payload: Buffer; length: number } | "too big" | undefined {
  if (buf.length < 2) return undefined;
  const fin = (buf[0]! & 0x80) !== 0;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let len = buf[1]! & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(MAX_FRAME)) return "too big";
    len = Number(big);
    offset = 10;
  }
  if (len > MAX_FRAME) return "too big";
  const maskOffset = offset;
  if (masked) offset += 4;
  if (buf.length < offset + len) return undefined;
  const payload = Buffer.from(buf.subarray(offset, offset + len));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buf[maskOffset + (i & 3)]!;
  return { fin, opcode, payload, length: offset + len };
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const header = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([header, payload]);
}

function closeFrame(code: number, reason: string): Buffer {
  // A close reason holds at most 123 bytes.
  let cut = reason;
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  const text = Buffer.from(cut, "utf8");
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return frame(8, payload);
}

function messageOf(body: unknown): string {
  if (typeof body === "string") {
    try {
      return messageOf(JSON.parse(body));
    } catch {
      return body.trim();
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : "the engine refused the exec";
}

function engineJson(target: Target, agent: Agent, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...target, agent, method: "GET", path, headers: { host: hostOf(target) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 502, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
