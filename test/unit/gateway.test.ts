// adapters/gateway.ts against a fake engine on a unix socket that records every request reaching
// it: what the gateway refuses (no token, a foreign Origin, a read-only or allow-list refusal, a
// hostile path) must never get there. Raw sockets on the client side, so the request line and the
// headers are exactly what an attacker would send, without a client's normalisation.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { refuseUpgrade } from "./fake-engine.ts";
import { compileAllowList, engineRoute, serveGateway, type Gateway } from "../../adapters/gateway.ts";
import { DockerConfigError } from "../../src/errors/errors.ts";

let dir: string;
let engine: Server;
let socketPath: string;
let seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
const open: Gateway[] = [];
let afterRefusal = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-gateway-"));
  socketPath = join(dir, "engine.sock");
  engine = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" }).end('{"ok":true}');
    });
  });
  engine.on("upgrade", (req, socket, head) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (req.url!.includes("missing")) {
      refuseUpgrade(socket, head, (bytes) => (afterRefusal += bytes));
      return;
    }
    socket.end("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello");
  });
  await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
});

afterAll(async () => {
  for (const g of open) await g.close();
  await new Promise<void>((resolve) => engine.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

async function gateway(options: Parameters<typeof serveGateway>[0] = {}): Promise<Gateway> {
  const g = await serveGateway({ engine: `unix://${socketPath}`, ...options });
  open.push(g);
  return g;
}

/** Sends bytes as they are and returns the whole answer (the connection is closed after it). */
function raw(g: Gateway, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(g.port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => (answer += d));
    socket.on("end", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.on("error", (err) => (answer ? resolve(answer) : reject(err)));
    socket.write(text);
    // Wait for the whole answer, then end our side (keep-alive would hold the connection open).
    setTimeout(() => socket.end(), 150);
  });
}

function get(g: Gateway, target: string, headers: Record<string, string> = {}, method = "GET"): Promise<string> {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${g.port}`, "Connection: close", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (method !== "GET" && method !== "HEAD") lines.push("Content-Length: 0");
  return raw(g, lines.join("\r\n") + "\r\n\r\n");
}

const status = (answer: string) => Number(answer.slice(9, 12));
const bearer = (g: Gateway) => ({ Authorization: `Bearer ${g.token}` });

describe("the token", () => {
  it("is random and at least 128 bits, and the URL carries it", async () => {
    const a = await gateway();
    const b = await gateway();
    expect(a.token).not.toBe(b.token);
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43,}$/); // 32 random bytes, base64url
    expect(a.url).toBe(`http://127.0.0.1:${a.port}/?token=${a.token}`);
  });

  it("is needed: nothing without it, a wrong one, or a wrong cookie reaches the engine", async () => {
    const g = await gateway();
    expect(status(await get(g, "/v1.41/containers/json"))).toBe(401);
    expect(await get(g, "/v1.41/containers/json")).toMatch(/www-authenticate: Bearer/i);
    expect(status(await get(g, "/v1.41/containers/json", { Authorization: `Bearer ${g.token.slice(0, -1)}x` }))).toBe(401);
    expect(status(await get(g, "/v1.41/containers/json", { Authorization: `Basic ${g.token}` }))).toBe(401);
    expect(status(await get(g, "/v1.41/containers/json", { Cookie: `${g.cookie}=${g.token}x` }))).toBe(401);
    expect(status(await get(g, "/v1.41/containers/json", { Cookie: `berth-gateway-1=${g.token}` }))).toBe(401);
    // Not even a WebSocket upgrade gets through without it.
    expect(status(await get(g, "/v1.41/containers/abc/attach/ws", { Upgrade: "websocket", Connection: "Upgrade" }))).toBe(401);
    expect(seen).toEqual([]);
  });

  it("as a Bearer header or the cookie lets a request through, and neither reaches the engine", async () => {
    const g = await gateway();
    const a = await get(g, "/v1.41/containers/json?all=1", bearer(g));
    expect(status(a)).toBe(200);
    expect(a).toMatch(/berth-gateway: 1/i);
    expect(a).not.toMatch(/access-control-allow-origin: \*/i); // the engine's own CORS never passes
    expect(status(await get(g, "/_ping", { Cookie: `other=1; ${g.cookie}=${g.token}` }))).toBe(200);
    expect(seen.map((s) => s.url)).toEqual(["/v1.41/containers/json?all=1", "/_ping"]);
    for (const s of seen) {
      expect(s.headers.authorization).toBeUndefined();
      expect(s.headers.cookie).toBeUndefined();
      expect(JSON.stringify(s.headers)).not.toContain(g.token);
    }
  });

  it("in the one-time URL is traded for an HttpOnly SameSite=Strict cookie and a redirect without it", async () => {
    const g = await gateway();
    const a = await get(g, `/?token=${g.token}`);
    expect(status(a)).toBe(303);
    expect(a).toMatch(/\r\nlocation: \/\r\n/i);
    expect(a).toContain(`set-cookie: ${g.cookie}=${g.token}; HttpOnly; SameSite=Strict; Path=/\r\n`);
    const b = await get(g, `/containers/json?all=1&token=${g.token}&limit=2`);
    expect(b).toMatch(/\r\nlocation: \/containers\/json\?all=1&limit=2\r\n/i);
    // A token that is not the gateway's, or one in a POST's URL, is refused.
    expect(status(await get(g, `/?token=${g.token}x`))).toBe(401);
    expect(status(await get(g, `/containers/abc/start?token=${g.token}`, {}, "POST"))).toBe(401);
    // The redirect stays on the gateway: no //host target.
    expect(await get(g, `//evil.example/?token=${g.token}`)).toMatch(/\r\nlocation: \/\r\n/i);
    expect(seen).toEqual([]);
  });

  it("may be given (then at least 32 characters)", async () => {
    await expect(gateway({ token: "short" })).rejects.toThrow(DockerConfigError);
    const g = await gateway({ token: "a".repeat(40) });
    expect(status(await get(g, "/_ping", { Authorization: `Bearer ${"a".repeat(40)}` }))).toBe(200);
  });
});

describe("Host and Origin", () => {
  it("refuses another Host (DNS rebinding), a foreign Origin and a cross-site request, token or not", async () => {
    const g = await gateway();
    const rebound = await raw(g, `GET /_ping HTTP/1.1\r\nHost: rebound.example:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nConnection: close\r\n\r\n`);
    expect(status(rebound)).toBe(403);
    expect(status(await get(g, "/_ping", { ...bearer(g), Origin: "https://attacker.example" }))).toBe(403);
    expect(status(await get(g, "/_ping", { ...bearer(g), "Sec-Fetch-Site": "cross-site" }))).toBe(403);
    expect(status(await get(g, "/containers/abc/attach/ws", { ...bearer(g), Origin: "http://127.0.0.1:1", Upgrade: "websocket", Connection: "Upgrade" }))).toBe(403);
    expect(seen).toEqual([]);
    expect(status(await get(g, "/_ping", { ...bearer(g), Origin: `http://127.0.0.1:${g.port}` }))).toBe(200);
    expect(status(await get(g, "/_ping", { ...bearer(g), Origin: `http://localhost:${g.port}`, "Sec-Fetch-Site": "same-origin" }))).toBe(200);
  });

  it("answers the origins it was given with CORS, credentials included and the gateway header exposed", async () => {
    const g = await gateway({ origins: ["http://127.0.0.1:5173"] });
    const pre = await get(g, "/containers/json", { Origin: "http://127.0.0.1:5173", "Access-Control-Request-Method": "GET" }, "OPTIONS");
    expect(status(pre)).toBe(204);
    expect(pre).toMatch(/access-control-allow-credentials: true/i);
    const a = await get(g, "/containers/json", { ...bearer(g), Origin: "http://127.0.0.1:5173" });
    expect(a).toMatch(/access-control-allow-origin: http:\/\/127\.0\.0\.1:5173/i);
    expect(a).toMatch(/access-control-expose-headers: berth-gateway/i);
  });

  it("listens on loopback by default and on another address only when asked", async () => {
    const g = await gateway();
    expect(g.origin).toBe(`http://127.0.0.1:${g.port}`);
    await expect(gateway({ host: "127.0.0.1; rm" })).rejects.toThrow(DockerConfigError);
  });
});

describe("read-only", () => {
  it("lets GET and HEAD through and refuses every other method, attach and exec", async () => {
    const g = await gateway({ readOnly: true });
    expect(status(await get(g, "/v1.41/containers/json", bearer(g)))).toBe(200);
    expect(status(await get(g, "/v1.41/containers/abc/json", bearer(g), "HEAD"))).toBe(200);
    expect(status(await get(g, "/v1.41/exec/abc/json", bearer(g)))).toBe(200);
    const refused = [
      await get(g, "/v1.41/containers/abc/start", bearer(g), "POST"),
      await get(g, "/v1.41/containers/prune", bearer(g), "POST"),
      await get(g, "/v1.41/containers/abc", bearer(g), "DELETE"),
      await get(g, "/v1.41/volumes/create", bearer(g), "PUT"),
      await get(g, "/v1.41/containers/abc/attach/ws?stream=1", { ...bearer(g), Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "x", "Sec-WebSocket-Version": "13" }),
      await get(g, "/v1.41/containers/abc/attach/ws?stream=1", bearer(g)),
      await get(g, "/v1.41/exec/abc/start/ws", { ...bearer(g), Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "x", "Sec-WebSocket-Version": "13" }),
    ];
    for (const a of refused) {
      expect(status(a)).toBe(403);
      expect(a).toMatch(/read-only/);
    }
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(["GET /v1.41/containers/json", "HEAD /v1.41/containers/abc/json", "GET /v1.41/exec/abc/json"]);
  });
});

describe("the allow-list", () => {
  it("lets through the operations it names, with or without the version prefix, and nothing else", async () => {
    const g = await gateway({ allow: ["GET /containers/json", "POST /containers/{id}/start", "GET /images/{name*}/json", "POST /exec/{id}/start"] });
    const ok = ["GET /containers/json?all=1", "GET /v1.41/containers/json", "POST /v1.41/containers/abc/start", "GET /images/library%2Fbusybox/json", "GET /v1.41/images/busybox/json", "GET /_ping"];
    for (const op of ok) {
      const [method, target] = op.split(" ");
      expect(status(await get(g, target!, bearer(g), method)), op).toBe(200);
    }
    const no = ["POST /containers/abc/stop", "POST /containers/abc/start/extra", "POST /containers/a/b/start", "GET /containers/abc/json", "DELETE /containers/abc", "POST /containers/prune", "GET /info", "POST /v1.41/containers/create"];
    for (const op of no) {
      const [method, target] = op.split(" ");
      const a = await get(g, target!, bearer(g), method);
      expect(status(a), op).toBe(403);
      expect(a).toMatch(/allow-list/);
    }
    // The attach upgrade is its own operation; the WebSocket exec counts as POST /exec/{id}/start.
    expect(status(await get(g, "/containers/abc/attach", { ...bearer(g), Upgrade: "tcp", Connection: "Upgrade" }, "POST"))).toBe(403);
    expect(seen.map((s) => s.url)).toEqual(["/containers/json?all=1", "/v1.41/containers/json", "/v1.41/containers/abc/start", "/images/library%2Fbusybox/json", "/v1.41/images/busybox/json", "/_ping"]);
  });

  it("refuses a malformed entry by name, before listening", () => {
    for (const entry of ["GET containers/json", "FETCH /containers/json", "GET /containers/{id", "GET /containers/../json", "GET /containers/json "]) {
      expect(() => compileAllowList([entry]), entry).toThrow(DockerConfigError);
    }
    expect(() => compileAllowList(["GET /x"])).not.toThrow();
  });
});

// Hostile request targets: whatever reaches the fake engine must be an Engine API path of an
// allowed operation, with no dot segment (encoded or not), no empty segment and nothing but a path.
const HOSTILE = [
  "/v1.41/../info",
  "/v1.41/containers/../../info",
  "/containers/json/../../info",
  "/containers/%2e%2e/info",
  "/containers/%2E%2e/%2e%2E/info",
  "/containers/.%2e/info",
  "/containers/%2e/json",
  "/containers/abc%2F..%2F..%2Finfo/json",
  "/containers/abc%2f%2e%2e%2f%2e%2e%2finfo/json",
  "/containers/abc%5C..%5Cinfo/json",
  "/containers/abc\\..\\info/json",
  "//containers/json",
  "/v1.41//containers/json",
  "/containers//json",
  "/containers/json/",
  "http://127.0.0.1/containers/json",
  "http://evil.example/v1.41/containers/json",
  "*",
  "/containers/abc%00/json",
  "/containers/abc%0d%0aX-Injected:%201/json",
  "/containers/%ZZ/json",
  "/containers/" + "a".repeat(5000) + "/json",
  "/v1.41/" + "../".repeat(20) + "info",
  "/engine/../containers/json",
  "/./containers/json",
  "/containers/json#frag",
];

function checkSeen(allowed: RegExp): void {
  for (const s of seen) {
    const route = engineRoute(s.url);
    expect(typeof route === "object" && route !== null, `the engine received ${JSON.stringify(s.url)}`).toBe(true);
    const decoded = decodeURIComponent(s.url.split("?")[0]!);
    expect(decoded.split("/").slice(1).some((seg) => seg === "" || seg === "." || seg === ".."), s.url).toBe(false);
    expect((route as { route: string }).route, s.url).toMatch(allowed);
  }
}

describe("hostile paths", () => {
  it("the listed ones are refused and nothing reaches the engine", async () => {
    const g = await gateway({ allow: ["GET /containers/json", "GET /containers/{id}/json"] });
    for (const target of HOSTILE) {
      const a = await get(g, target, bearer(g));
      expect([400, 403, 404, 414, 431], `${target.slice(0, 80)} answered ${a.slice(0, 40)}`).toContain(status(a));
    }
    // CRLF in the request line itself: no second request, no other path.
    const split = await raw(g, `GET /containers/json\r\nPOST /containers/abc/kill HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nConnection: close\r\n\r\n`);
    expect(status(split)).toBe(400);
    const smuggled = await raw(g, `GET /containers/json HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nConnection: close\r\n\r\nPOST /containers/abc/kill HTTP/1.1\r\nHost: docker\r\n\r\n`);
    // (Node refuses bytes after a Connection: close request with a 400; either way, no kill.)
    expect([200, 400]).toContain(status(smuggled));
    expect(seen.filter((s) => s.url !== "/containers/json")).toEqual([]);
    checkSeen(/^\/containers\/(json|[^/]+\/json)$/);
  });

  it("generated ones reach the engine only as allowed Engine API paths (fuzz)", async () => {
    const g = await gateway({ allow: ["GET /containers/json", "GET /containers/{id}/json", "POST /containers/{id}/start"] });
    const segment = fc.constantFrom("..", ".", "", "%2e%2e", "%2E.", ".%2e", "%2e", "%2f", "%2F..", "%5c", "\\", "v1.41", "containers", "json", "start", "info", "abc", "a.b", "%00", "%0a", "http:", "evil.example", "?", "#", ";", "%", "%25", "~");
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 7 }), fc.constantFrom("GET", "POST", "DELETE"), fc.boolean(), async (segments, method, leading) => {
        seen = [];
        const target = (leading ? "/" : "") + segments.join("/");
        await get(g, target, bearer(g), method);
        checkSeen(/^\/containers\/(json|[^/]+\/json|[^/]+\/start)$/);
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it("without an allow-list, only the Engine API's own roots reach the engine", async () => {
    const g = await gateway();
    for (const target of ["/engine/info", "/debug/pprof/", "/metrics", "/", "/index.html", "/v1.41", "/v1.41/"]) {
      const a = await get(g, target, bearer(g));
      expect([200, 400, 404], target).toContain(status(a));
    }
    expect(seen).toEqual([]);
  });
});

describe("upgrades", () => {
  it("pipes an allowed attach to the engine without the credentials", async () => {
    const g = await gateway();
    const a = await get(g, "/v1.41/containers/abc/attach?stream=1&stdin=1", { ...bearer(g), Upgrade: "tcp", Connection: "Upgrade" }, "POST");
    expect(a).toMatch(/^HTTP\/1.1 101/);
    expect(a).toMatch(/hello$/);
    expect(seen.map((s) => s.url)).toEqual(["/v1.41/containers/abc/attach?stream=1&stdin=1"]);
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });
});

describe("upgrades smuggling requests", () => {
  it("an Upgrade header on a request that is no upgrade endpoint is refused (no raw pipe past the checks)", async () => {
    const g = await gateway({ readOnly: true });
    const a = await raw(g, `GET /_ping HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\nPOST /containers/abc/kill HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`);
    expect(status(a)).toBe(400);
    expect(seen).toEqual([]);
  });

  it("bytes sent after an attach the engine refuses never reach it", async () => {
    const g = await gateway({ allow: ["POST /containers/{id}/attach"] });
    afterRefusal = "";
    const smuggled = "POST /containers/abc/kill HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n";
    const a = await raw(g, `POST /containers/missing/attach?stream=1 HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nUpgrade: tcp\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n${smuggled}`);
    expect(status(a)).toBe(404);
    expect(a).toContain("No such thing");
    expect(seen.map((s) => s.url)).toEqual(["/containers/missing/attach?stream=1"]);
    expect(afterRefusal).toBe("");
  });
});

describe("TLS", () => {
  it("serves HTTPS when given a certificate and key, with a Secure cookie", async () => {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const cert = readFileSync(certFile);
    const g = await gateway({ tls: { cert, key: readFileSync(keyFile) } });
    expect(g.url).toBe(`https://127.0.0.1:${g.port}/?token=${g.token}`);
    const fetchTls = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = httpsRequest({ host: "127.0.0.1", port: g.port, path, ca: cert, headers }, (res) => {
          res.resume();
          resolve({ status: res.statusCode!, headers: res.headers });
        });
        req.on("error", reject);
        req.end();
      });
    expect((await fetchTls("/_ping")).status).toBe(401);
    const trade = await fetchTls(`/?token=${g.token}`);
    expect(trade.status).toBe(303);
    expect(String(trade.headers["set-cookie"])).toMatch(/; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    expect((await fetchTls("/_ping", { authorization: `Bearer ${g.token}`, origin: `https://127.0.0.1:${g.port}` })).status).toBe(200);
    expect((await fetchTls("/_ping", { authorization: `Bearer ${g.token}`, origin: `http://127.0.0.1:${g.port}` })).status).toBe(403);
  });
});

// Hostile headers: every combination of a Host, an Origin, a Sec-Fetch-Site, credentials, a
// method, a path and an Upgrade reaches the engine only when each check alone would let it pass;
// and what reaches it is an allowed Engine API path without the credentials.
describe("hostile headers (fuzz)", () => {
  it("a request reaches the engine only with its own Host, an allowed or no Origin, the token, an allowed path, and an Upgrade only on an upgrade endpoint", async () => {
    const g = await gateway({ allow: ["GET /containers/json", "POST /containers/{id}/attach", "GET /containers/{id}/attach/ws", "POST /containers/{id}/kill"] });
    const self = `127.0.0.1:${g.port}`;
    const hosts = [self, `localhost:${g.port}`, `127.0.0.1.:${g.port}`, `LOCALHOST:${g.port}`, `127.0.0.1:${g.port}.evil.example`, `evil.example@127.0.0.1:${g.port}`, "127.0.0.1", `[::1]:${g.port}`, `127.0.0.1:${g.port + 1}`, ""];
    const origins = [undefined, `http://${self}`, `http://localhost:${g.port}`, "null", `http://${self}.evil.example`, `http://${self}/`, `https://${self}`, `HTTP://${self}`, "https://attacker.example", `http://127.0.0.1:${g.port + 1}`];
    const sites = [undefined, "same-origin", "none", "same-site", "cross-site", "CROSS-SITE", ""];
    const auths: Array<Record<string, string>> = [
      {},
      { Authorization: `Bearer ${g.token}` },
      { Cookie: `${g.cookie}=${g.token}` },
      { Authorization: `bearer ${g.token}` },
      { Authorization: `Bearer  ${g.token}` },
      { Authorization: `Bearer ${g.token}x` },
      { Cookie: `${g.cookie}=${g.token.toUpperCase()}` },
      { Cookie: `x${g.cookie}=${g.token}` },
    ];
    const targets = [
      { method: "GET", path: "/containers/json", allowed: true, upgrade: false },
      { method: "GET", path: "/v1.41/containers/json?all=1", allowed: true, upgrade: false },
      { method: "POST", path: "/containers/abc/kill", allowed: true, upgrade: false },
      { method: "POST", path: "/v1.41/containers/abc/attach?stream=1", allowed: true, upgrade: true },
      { method: "GET", path: "/containers/abc/attach/ws?stream=1", allowed: true, upgrade: true },
      { method: "DELETE", path: "/containers/abc", allowed: false, upgrade: false },
      { method: "GET", path: "/containers/abc/../json", allowed: false, upgrade: false },
      // Decoded, as the engine decodes it too: the kill of "abc" (image names need %2F: library%2Fbusybox).
      { method: "POST", path: "/containers/abc%2fkill", allowed: true, upgrade: false },
      { method: "GET", path: "/info", allowed: false, upgrade: false },
      { method: "POST", path: "/exec/abc/start", allowed: false, upgrade: true },
    ];
    const upgrades = [undefined, "tcp", "websocket"];
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...hosts),
        fc.constantFrom(...origins),
        fc.constantFrom(...sites),
        fc.constantFrom(...auths),
        fc.constantFrom(...targets),
        fc.constantFrom(...upgrades),
        async (host, origin, site, auth, target, upgrade) => {
          seen = [];
          const headers: Record<string, string> = { ...auth, "X-Forwarded-Host": self, "X-Forwarded-For": "127.0.0.1" };
          if (origin !== undefined) headers.Origin = origin;
          if (site !== undefined) headers["Sec-Fetch-Site"] = site;
          if (upgrade) Object.assign(headers, { Upgrade: upgrade, Connection: "Upgrade" });
          const lines = [`${target.method} ${target.path} HTTP/1.1`, `Host: ${host}`, ...(upgrade ? [] : ["Connection: close"]), ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
          if (target.method !== "GET") lines.push("Content-Length: 0");
          await raw(g, lines.join("\r\n") + "\r\n\r\n");
          const hostOk = host === self || host === `localhost:${g.port}`;
          const originOk = origin === undefined ? site === undefined || site === "same-origin" || site === "none" : origin === `http://${self}` || origin === `http://localhost:${g.port}`;
          const authOk = auth.Authorization === `Bearer ${g.token}` || auth.Cookie === `${g.cookie}=${g.token}`;
          const expected = hostOk && originOk && authOk && target.allowed && (upgrade === undefined || target.upgrade);
          expect(seen.length, JSON.stringify({ host, origin, site, auth: Object.keys(auth), target, upgrade })).toBe(expected ? 1 : 0);
          reached += seen.length;
          for (const s of seen) {
            expect(s.url).toBe(target.path);
            expect(s.headers.authorization).toBeUndefined();
            expect(s.headers.cookie).toBeUndefined();
            expect(s.headers.host).toBe("docker");
          }
        },
      ),
      // The examples that pass every check, so the property is not only about refusals.
      { numRuns: 250, examples: [[self, undefined, undefined, auths[1]!, targets[0]!, undefined], [self, `http://${self}`, "same-origin", auths[2]!, targets[3]!, "tcp"]] },
    );
    expect(reached).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("a request smuggled with Transfer-Encoding and Content-Length together, or a second Host, reaches nothing it should not", async () => {
    const g = await gateway({ allow: ["POST /containers/{id}/start"] });
    const smuggle = `POST /containers/abc/start HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nPOST /containers/abc/kill HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`;
    expect([400]).toContain(status(await raw(g, smuggle)));
    const twoHosts = `GET /_ping HTTP/1.1\r\nHost: evil.example\r\nHost: 127.0.0.1:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nConnection: close\r\n\r\n`;
    expect([400, 403]).toContain(status(await raw(g, twoHosts)));
    expect(seen.filter((s) => s.url !== "/containers/abc/start")).toEqual([]);
  });
});
