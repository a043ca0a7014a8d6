// The Node transport against a local HTTP server on a unix socket that misbehaves on purpose:
// kept-alive connections reset under a request, idle connections closed, streams that end because
// the server went away. Proves which requests are retried (GET/HEAD once, on a reused connection,
// before any response byte) and which never are (POST, stream bodies).
import { afterEach, describe, expect, it } from "vitest";
import http from "node:http";
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeTransport } from "../../adapters/node-transport.ts";
import { Client } from "../../src/request/engine.ts";
import { DockerConnectionError, DockerError } from "../../src/errors/errors.ts";
import type { TransportResponse } from "../../src/transport/transport.ts";

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, nthOnConnection: number) => void;

interface TestServer {
  path: string;
  /** Every request received, in order: method, url and whether its connection was new. */
  seen: Array<{ method: string; url: string; nth: number }>;
  connections: number;
  behave: Behaviour;
  server: http.Server;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tempSocket(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-retry-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "s.sock");
}

async function startServer(): Promise<TestServer> {
  const path = tempSocket();
  const counts = new WeakMap<net.Socket, number>();
  const state: TestServer = {
    path,
    seen: [],
    connections: 0,
    behave: (_req, res) => res.end("ok"),
    server: undefined as unknown as http.Server,
  };
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const nth = (counts.get(req.socket) ?? 0) + 1;
    counts.set(req.socket, nth);
    state.seen.push({ method: req.method!, url: req.url!, nth });
    // Read the request body to its end before answering, like the engine does for small bodies.
    req.resume();
    req.once("end", () => state.behave(req, res, nth));
  });
  server.on("connection", () => state.connections++);
  state.server = server;
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return state;
}

function transport(path: string): NodeTransport {
  const t = new NodeTransport({ socketPath: path });
  cleanups.push(() => t.close());
  return t;
}

async function body(response: TransportResponse): Promise<string> {
  return response.text();
}

/** Answers normally on a connection's first request, and resets it under every later one. */
const resetReused: Behaviour = (req, res, nth) => {
  if (nth === 1) res.end("ok");
  else req.socket.destroy();
};

describe("retry of idempotent requests on a reused connection", () => {
  it("retries a GET once when the kept-alive connection is reset before any response byte", async () => {
    const server = await startServer();
    const t = transport(server.path);
    expect(await body(await t.request({ method: "GET", path: "/first", headers: {} }))).toBe("ok");
    server.behave = resetReused;
    const response = await t.request({ method: "GET", path: "/second", headers: {} });
    expect(response.status).toBe(200);
    expect(await body(response)).toBe("ok");
    // Sent twice: once on the reused connection (reset), once on a fresh one (answered).
    expect(server.seen.map((s) => `${s.method} ${s.url} #${s.nth}`)).toEqual(["GET /first #1", "GET /second #2", "GET /second #1"]);
    expect(server.connections).toBe(2);
  });

  it("retries a HEAD the same way", async () => {
    const server = await startServer();
    const t = transport(server.path);
    await body(await t.request({ method: "GET", path: "/a", headers: {} }));
    server.behave = resetReused;
    const response = await t.request({ method: "HEAD", path: "/b", headers: {} });
    expect(response.status).toBe(200);
    expect(server.seen.filter((s) => s.url === "/b")).toHaveLength(2);
  });

  it("never retries a POST: the engine may have acted on it", async () => {
    const server = await startServer();
    const t = transport(server.path);
    await body(await t.request({ method: "GET", path: "/first", headers: {} }));
    server.behave = resetReused;
    const failure = await t.request({ method: "POST", path: "/containers/x/start", headers: {}, body: "{}" }).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    expect((failure as DockerConnectionError).code).toBe("ECONNRESET");
    expect(server.seen.filter((s) => s.method === "POST")).toHaveLength(1);
  });

  it("never retries a request whose body is a stream, even a GET", async () => {
    const server = await startServer();
    const t = transport(server.path);
    await body(await t.request({ method: "GET", path: "/first", headers: {} }));
    server.behave = resetReused;
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        c.enqueue(new TextEncoder().encode("data"));
        c.close();
      },
    });
    const failure = await t.request({ method: "GET", path: "/with-body", headers: {}, body: stream }).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    expect(server.seen.filter((s) => s.url === "/with-body")).toHaveLength(1);
    expect(pulls).toBe(1);
  });

  it("retries only once: a second reset is reported", async () => {
    const server = await startServer();
    const t = transport(server.path);
    await body(await t.request({ method: "GET", path: "/first", headers: {} }));
    server.behave = (req) => req.socket.destroy(); // every request, on every connection
    const failure = await t.request({ method: "GET", path: "/again", headers: {} }).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    expect(server.seen.filter((s) => s.url === "/again")).toHaveLength(2);
  });

  it("does not retry when the connection was fresh", async () => {
    const server = await startServer();
    server.behave = (req) => req.socket.destroy();
    const t = transport(server.path);
    const failure = await t.request({ method: "GET", path: "/only", headers: {} }).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    expect(server.seen).toHaveLength(1);
  });

  it("does not retry once part of the response arrived", async () => {
    const server = await startServer();
    const t = transport(server.path);
    await body(await t.request({ method: "GET", path: "/first", headers: {} }));
    server.behave = (req) => {
      // A status line and no more: the engine answered something, so the request is not resent.
      req.socket.write("HTTP/1.1 200 OK\r\nContent-Ty");
      setTimeout(() => req.socket.destroy(), 20);
    };
    const failure = await t.request({ method: "GET", path: "/partial", headers: {} }).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    expect(server.seen.filter((s) => s.url === "/partial")).toHaveLength(1);
  });

  it("detects an idle connection the server closed meanwhile, without resending anything", async () => {
    const server = await startServer();
    const t = transport(server.path);
    await body(await t.request({ method: "GET", path: "/first", headers: {} }));
    server.server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
    const response = await t.request({ method: "POST", path: "/after-idle-close", headers: {}, body: "{}" });
    expect(await body(response)).toBe("ok");
    expect(server.seen.map((s) => `${s.url} #${s.nth}`)).toEqual(["/first #1", "/after-idle-close #1"]);
  });

  it("gives the core a DockerConnectionError it passes through unchanged", async () => {
    const server = await startServer();
    const t = transport(server.path);
    const client = new Client({ transport: t, version: "1.41" });
    await client.void({ method: "GET", path: "/_ping", unversioned: true });
    server.behave = resetReused;
    // The GET survives the reset; the POST does not and says why.
    await expect(client.void({ method: "GET", path: "/_ping", unversioned: true })).resolves.toBeUndefined();
    await client.void({ method: "GET", path: "/_ping", unversioned: true });
    const failure = await client.void({ method: "POST", path: "/containers/{id}/start", params: { id: "x" } }).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
  });
});

describe("stream bodies of calls that never sent them", () => {
  function countedStream(): { stream: ReadableStream<Uint8Array>; cancelled: () => number } {
    let cancelled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled++;
      },
    });
    return { stream, cancelled: () => cancelled };
  }

  it("are cancelled when the call is aborted before the transport takes them", async () => {
    const server = await startServer();
    const client = new Client({ transport: transport(server.path), version: "1.41" });
    const { stream, cancelled } = countedStream();
    const controller = new AbortController();
    controller.abort();
    await expect(client.send({ method: "POST", path: "/build", body: stream, contentType: "application/x-tar", signal: controller.signal })).rejects.toThrow(/aborted/);
    expect(cancelled()).toBe(1);
    expect(server.seen).toHaveLength(0);
  });

  it("are cancelled when the call fails before sending (the engine cannot be reached)", async () => {
    const client = new Client({ transport: transport(join(tempSocket(), "..", "missing.sock")), version: "1.41" });
    const { stream, cancelled } = countedStream();
    await expect(client.send({ method: "POST", path: "/build", body: stream, contentType: "application/x-tar" })).rejects.toBeInstanceOf(DockerConnectionError);
    await new Promise((r) => setTimeout(r, 20));
    expect(cancelled()).toBe(1);
  });
});

describe("hostile answers", () => {
  it("refuses an endless response head with a typed error instead of buffering it", async () => {
    const path = tempSocket();
    let sent = 0;
    const server = net.createServer((socket) => {
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\n");
        const more = () => {
          // Header lines forever, never the blank line that ends the head.
          while (!socket.destroyed && sent < 64 * 1024 * 1024 && socket.write(`X-Filler-${sent}: ${"a".repeat(1000)}\r\n`)) sent += 1024;
          if (!socket.destroyed && sent < 64 * 1024 * 1024) socket.once("drain", more);
        };
        socket.on("error", () => {});
        more();
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const t = transport(path);
    const failure = await t.request({ method: "GET", path: "/_ping", headers: {} }).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerError);
    // Refused after a bounded amount, not after the server gave up.
    expect(sent).toBeLessThan(4 * 1024 * 1024);
  });
});

describe("streams that end because the peer went away", () => {
  /** A raw server answering like the engine's hijacked endpoints: a head, bytes, then EOF. */
  async function rawServer(onConnection: (socket: net.Socket, server: net.Server) => void): Promise<{ path: string; server: net.Server }> {
    const path = tempSocket();
    const server = net.createServer((socket) => onConnection(socket, server));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { path, server };
  }

  async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
    const reader = stream.getReader();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += new TextDecoder().decode(value);
    }
  }

  const head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n";

  it("ends an EOF-delimited body normally when the server still answers", async () => {
    const { path } = await rawServer((socket) => {
      socket.once("data", (d) => {
        if (d.toString().startsWith("GET /_ping")) return socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
        socket.end(`${head}hello`);
      });
    });
    const t = transport(path);
    const response = await t.request({ method: "POST", path: "/exec/x/start", headers: {}, body: "{}" });
    expect(await readAll(response.body!)).toBe("hello");
  });

  it("errors an EOF-delimited body with DockerConnectionError when the server is gone", async () => {
    const { path } = await rawServer((socket, server) => {
      socket.once("data", () => {
        socket.write(`${head}partial`);
        // Stop listening first, then close: what a killed engine looks like from here.
        server.close();
        setTimeout(() => socket.end(), 20);
      });
    });
    const t = transport(path);
    const response = await t.request({ method: "POST", path: "/exec/x/start", headers: {}, body: "{}" });
    const failure = await readAll(response.body!).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    expect(String(failure.message)).toMatch(/no longer answers/);
  });

  it("errors a hijacked duplex the same way, and ends it normally while the server lives", async () => {
    let mode: "alive" | "dies" = "alive";
    const { path } = await rawServer((socket, server) => {
      socket.once("data", (d) => {
        if (d.toString().startsWith("GET /_ping")) return socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
        socket.write("output");
        if (mode === "dies") server.close();
        setTimeout(() => socket.end(), 20);
      });
    });
    const t = transport(path);
    const alive = await t.connect();
    await alive.writable.getWriter().write(new TextEncoder().encode("POST /attach HTTP/1.1\r\n\r\n"));
    expect(await readAll(alive.readable)).toBe("output");
    alive.close();

    mode = "dies";
    const dying = await t.connect();
    await dying.writable.getWriter().write(new TextEncoder().encode("POST /attach HTTP/1.1\r\n\r\n"));
    const failure = await readAll(dying.readable).catch((e) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    dying.close();
  });
});
