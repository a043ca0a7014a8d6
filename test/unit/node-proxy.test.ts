// adapters/node-proxy.ts against a fake engine on a unix socket, which records every request that
// reaches it: what the proxy refuses must never get there. Raw sockets on the client side, so the
// Host, Origin and Upgrade headers are exactly what a browser (or an attacker) would send.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { refuseUpgrade } from "./fake-engine.ts";
import { startEngineProxy, type EngineProxy } from "../../adapters/node-proxy.ts";

const PAGE = "http://127.0.0.1:5173";
const FOREIGN = "https://attacker.example";

let dir: string;
let engine: Server;
let proxy: EngineProxy;
let seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
/** Ends the fake engine's /stream answer. */
let finishStream: (() => void) | undefined;
/** What reached the fake engine after it refused an upgrade. */
let afterRefusal = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-proxy-"));
  engine = createServer((req, res) => {
    if (req.url === "/upload") {
      // Answers when the first chunk arrives: the proxy must pass it on before the body ends.
      req.once("data", (d) => {
        res.writeHead(200).write(`got ${d}\n`);
        req.on("end", () => res.end("end\n"));
      });
      return;
    }
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"first":true}\n');
        finishStream = () => res.end('{"last":true}\n');
        return;
      }
      // As dockerd --api-cors-header='*' answers: the proxy must not pass this on.
      res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*", "api-version": "1.41" }).end('{"ok":true}');
    });
  });
  engine.on("upgrade", (req, socket: Socket, head: Buffer) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: "" });
    if (req.url!.includes("missing")) {
      refuseUpgrade(socket, head, (bytes) => (afterRefusal += bytes));
      return;
    }
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    socket.on("data", (d) => socket.write(`echo:${d}`));
    // As the engine does when an exec's stdin closes: the output goes on, then it ends.
    socket.on("end", () => socket.end("stdin closed, bye"));
  });
  await new Promise<void>((resolve) => engine.listen(join(dir, "engine.sock"), resolve));
  proxy = await startEngineProxy({ engine: `unix://${join(dir, "engine.sock")}`, origins: [PAGE] });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => engine.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

/** Sends `head` (and `body`) on a fresh connection and returns what came back until `until` matched or the proxy closed. */
function raw(head: string, options: { body?: string; until?: RegExp } = {}): Promise<{ text: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, "127.0.0.1");
    let text = "";
    socket.on("data", (d) => {
      text += d;
      if (options.until?.test(text)) resolve({ text, socket });
    });
    socket.on("end", () => resolve({ text, socket }));
    socket.on("error", reject);
    socket.write(head + (options.body ?? ""));
  });
}

const host = () => `127.0.0.1:${proxy.port}`;
const textPost = (origin: string, hostHeader = host()) =>
  `POST /containers/prune HTTP/1.1\r\nHost: ${hostHeader}\r\nOrigin: ${origin}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n`;
const wsUpgrade = (origin: string, hostHeader = host()) =>
  `GET /containers/abc/attach/ws?stream=1&stdin=1 HTTP/1.1\r\nHost: ${hostHeader}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

describe("the engine proxy", () => {
  it("listens on a random loopback port", () => {
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`);
    expect(proxy.port).toBeGreaterThan(0);
  });

  it("refuses a cross-site text/plain POST (which needs no preflight) before it reaches the engine", async () => {
    const { text } = await raw(textPost(FOREIGN), { body: "{}" });
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(text).toContain(`Origin ${FOREIGN} is not allowed`);
    expect(seen).toEqual([]);
  });

  it("refuses a WebSocket upgrade from a foreign Origin before it reaches the engine", async () => {
    const { text } = await raw(wsUpgrade(FOREIGN));
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(seen).toEqual([]);
  });

  it("refuses a Host that is not its own address and port (DNS rebinding), also without an Origin", async () => {
    for (const bad of ["attacker.example", `attacker.example:${proxy.port}`, `localhost:${proxy.port}`, "127.0.0.1:1"]) {
      const { text } = await raw(`GET /containers/json HTTP/1.1\r\nHost: ${bad}\r\nConnection: close\r\n\r\n`);
      expect(text, bad).toMatch(/^HTTP\/1\.1 403 /);
      expect(text).toContain("is not this proxy's address");
    }
    expect((await raw(wsUpgrade(PAGE, `rebound.example:${proxy.port}`))).text).toMatch(/^HTTP\/1\.1 403 /);
    expect((await raw(`GET /_ping HTTP/1.0\r\n\r\n`)).text).toMatch(/^HTTP\/1\.1 403 /);
    expect(seen).toEqual([]);
  });

  it("refuses a request the browser marks as cross-site that carries no Origin (a plain GET from an <img> or <script>)", async () => {
    const { text } = await raw(`GET /containers/json HTTP/1.1\r\nHost: ${host()}\r\nSec-Fetch-Site: cross-site\r\nConnection: close\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(seen).toEqual([]);
  });

  it("answers the page's origin with CORS, instead of the engine's own CORS headers", async () => {
    const { text } = await raw(textPost(PAGE), { body: "{}" });
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toMatch(new RegExp(`\\r\\naccess-control-allow-origin: ${PAGE}\\r\\n`, "i"));
    expect(text).not.toMatch(/access-control-allow-origin: \*/i);
    expect(text).toContain('{"ok":true}');
    expect(seen).toMatchObject([{ method: "POST", url: "/containers/prune", body: "{}" }]);
    expect(seen[0]!.headers.origin).toBe(PAGE);
  });

  it("answers the page's preflight itself, as dockerd's CORS does, and refuses a foreign one", async () => {
    const preflight = (origin: string) =>
      `OPTIONS /containers/create HTTP/1.1\r\nHost: ${host()}\r\nOrigin: ${origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n`;
    const ok = (await raw(preflight(PAGE))).text;
    expect(ok).toMatch(/^HTTP\/1\.1 204 /);
    expect(ok).toMatch(new RegExp(`access-control-allow-origin: ${PAGE}\\r\\n`, "i"));
    expect(ok).toMatch(/access-control-allow-methods: [^\r]*POST/i);
    expect(ok).toMatch(/access-control-allow-headers: [^\r]*Content-Type/i);
    expect((await raw(preflight(FOREIGN))).text).toMatch(/^HTTP\/1\.1 403 /);
    expect(seen).toEqual([]);
  });

  it("lets in clients without an Origin (Node, curl, workerd) and its own origin, without CORS headers", async () => {
    const { text } = await raw(`GET /v1.41/info HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).not.toMatch(/access-control-/i);
    const own = await raw(`GET /_ping HTTP/1.1\r\nHost: ${host()}\r\nOrigin: ${proxy.origin}\r\nSec-Fetch-Site: same-origin\r\nConnection: close\r\n\r\n`);
    expect(own.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(own.text).not.toMatch(/access-control-/i);
    expect(seen.map((s) => s.url)).toEqual(["/v1.41/info", "/_ping"]);
  });

  it("pipes an upgrade from the page's origin both ways after the head", async () => {
    const { text, socket } = await raw(wsUpgrade(PAGE), { until: /\r\n\r\n/ });
    expect(text).toMatch(/^HTTP\/1\.1 101 /);
    expect(seen).toMatchObject([{ method: "GET", url: "/containers/abc/attach/ws?stream=1&stdin=1" }]);
    expect(seen[0]!.headers.origin).toBe(PAGE);
    const echoed = await new Promise<string>((resolve) => {
      socket.once("data", (d) => resolve(String(d)));
      socket.write("hello");
    });
    expect(echoed).toBe("echo:hello");
    socket.destroy();
  });

  it("streams a response as it comes: the first chunk arrives while the engine is still answering", async () => {
    const first = await new Promise<{ chunk: string; rest: Promise<string> }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: proxy.port, path: "/stream" }, (res) => {
        res.setEncoding("utf8");
        let all = "";
        const rest = new Promise<string>((done) => res.on("end", () => done(all)));
        res.once("data", (chunk: string) => {
          all += chunk;
          res.on("data", (more: string) => (all += more));
          resolve({ chunk, rest });
        });
      });
      req.on("error", reject);
      req.end();
    });
    expect(first.chunk).toBe('{"first":true}\n');
    expect(finishStream).toBeDefined();
    finishStream!();
    expect(await first.rest).toBe('{"first":true}\n{"last":true}\n');
  });

  it("passes a half-close through an upgraded connection: the engine's last output still arrives", async () => {
    const { socket } = await raw(wsUpgrade(PAGE), { until: /\r\n\r\n/ });
    const rest = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (d) => (text += d)).on("end", () => resolve(text));
      socket.end("last line");
    });
    expect(rest).toBe("echo:last linestdin closed, bye");
  });

  it("streams a request body as it comes: the engine answers its first chunk while the client still sends", async () => {
    const socket = connect(proxy.port, "127.0.0.1");
    const received: string[] = [];
    const answered = new Promise<void>((resolve) =>
      socket.on("data", (d) => {
        received.push(String(d));
        if (received.join("").includes("got first")) resolve();
      }),
    );
    const ended = new Promise<void>((resolve) => socket.on("end", () => resolve()));
    socket.write(`POST /upload HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nfirst\r\n`);
    await answered;
    socket.write("4\r\nmore\r\n0\r\n\r\n");
    await ended;
    expect(received.join("")).toMatch(/^HTTP\/1\.1 200 [\s\S]*got first\n[\s\S]*end\n/);
  });

  it("answers 502 when the engine is not there, for requests and upgrades", async () => {
    const nowhere = await startEngineProxy({ engine: `unix://${join(dir, "missing.sock")}` });
    try {
      const ask = (head: string) =>
        new Promise<string>((resolve) => {
          const socket = connect(nowhere.port, "127.0.0.1");
          let text = "";
          socket.on("data", (d) => (text += d)).on("end", () => resolve(text));
          socket.write(head.replaceAll(host(), `127.0.0.1:${nowhere.port}`));
        });
      expect(await ask(`GET /_ping HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 502 [\s\S]*ENOENT/);
      expect(await ask(wsUpgrade(`http://${host()}`))).toMatch(/^HTTP\/1\.1 502 [\s\S]*ENOENT/); // its own origin
    } finally {
      await nowhere.close();
    }
  });

  it("binds loopback only", async () => {
    await expect(startEngineProxy({ address: "0.0.0.0" as "127.0.0.1" })).rejects.toThrow(/loopback only/);
  });
});

describe("the engine proxy's upgrades", () => {
  it("pass the client's bytes on only once the engine took the connection over: after a refusal, nothing follows", async () => {
    afterRefusal = "";
    const smuggled = "POST /containers/abc/kill HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n";
    const { text, socket } = await raw(`POST /containers/missing/attach?stream=1 HTTP/1.1\r\nHost: ${host()}\r\nUpgrade: tcp\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n${smuggled}`, { until: /No such thing/ });
    expect(text).toMatch(/^HTTP\/1\.1 404 /);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    expect(afterRefusal).toBe("");
    expect(seen.map((s) => s.url)).toEqual(["/containers/missing/attach?stream=1"]);
  });
});
