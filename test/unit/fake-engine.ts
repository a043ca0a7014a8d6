// A hand-made engine for transport tests: a node:net server on a unix socket that keeps every raw
// byte each connection sent, splits them into requests the way an HTTP/1.1 server would
// (Content-Length or chunked bodies, one after another on a kept-alive connection), and lets the
// test answer each request with whatever bytes it likes.
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SeenRequest {
  /** `GET /v1.41/info HTTP/1.1` */
  line: string;
  method: string;
  path: string;
  /** Lower-case names; repeated ones joined with `, `. */
  headers: Map<string, string>;
  body: Buffer;
  /** Index of the connection it came on (0, 1, ...). */
  connection: number;
}

export type Answer = (req: SeenRequest, socket: net.Socket) => void;

export interface FakeEngine {
  path: string;
  /** Every request parsed, in order. */
  requests: SeenRequest[];
  /** The raw bytes each connection sent. */
  raw: Buffer[];
  /** Connections accepted so far; those the client ended (FIN); those closed for any reason. */
  connections: number;
  closedByClient: number;
  closed: number;
  sockets: net.Socket[];
  answer: Answer;
  close(): Promise<void>;
}

/** A JSON answer with a Content-Length. */
export function json(socket: net.Socket, value: unknown, status = 200): void {
  const body = Buffer.from(JSON.stringify(value));
  socket.write(`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body);
}

export async function startFakeEngine(answer: Answer = (req, s) => json(s, { path: req.path })): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), "berth-fake-"));
  const path = join(dir, "engine.sock");
  const engine: FakeEngine = {
    path,
    requests: [],
    raw: [],
    connections: 0,
    closedByClient: 0,
    closed: 0,
    sockets: [],
    answer,
    close: async () => {
      for (const s of engine.sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const server = net.createServer((socket) => {
    const index = engine.connections++;
    engine.sockets.push(socket);
    engine.raw[index] = Buffer.alloc(0);
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      engine.raw[index] = Buffer.concat([engine.raw[index]!, chunk]);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const parsed = parseRequest(pending, index);
        if (!parsed) break;
        pending = pending.subarray(parsed.length);
        engine.requests.push(parsed.request);
        engine.answer(parsed.request, socket);
      }
    });
    socket.on("end", () => {
      engine.closedByClient++;
      socket.end();
    });
    socket.on("error", () => {});
    socket.on("close", () => void engine.closed++);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return engine;
}

function parseRequest(buf: Buffer, connection: number): { request: SeenRequest; length: number } | null {
  const end = buf.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const lines = buf.toString("latin1", 0, end).split("\r\n");
  const line = lines[0]!;
  const [method = "", path = ""] = line.split(" ");
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(":");
    const key = l.slice(0, colon).toLowerCase();
    const value = l.slice(colon + 1).trim();
    headers.set(key, headers.has(key) ? `${headers.get(key)}, ${value}` : value);
  }
  let at = end + 4;
  let body: Buffer = Buffer.alloc(0);
  if (headers.get("transfer-encoding") === "chunked") {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", at);
      if (lineEnd === -1) return null;
      const size = parseInt(buf.toString("latin1", at, lineEnd), 16);
      if (buf.length < lineEnd + 2 + size + 2) return null;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    body = Buffer.concat(parts);
  } else {
    const length = Number(headers.get("content-length") ?? 0);
    if (buf.length < at + length) return null;
    body = buf.subarray(at, at + length);
    at += length;
  }
  return { request: { line, method, path, headers, body: Buffer.from(body), connection }, length: at };
}

/**
 * Refuses an upgrade as dockerd does (an error answer, the connection kept open): whatever the
 * client sends after it, which would be the engine's next request, goes to `after`. For fronts
 * that must hold the client's bytes until the engine took the connection over.
 */
export function refuseUpgrade(socket: import("node:stream").Duplex, head: Buffer, after: (bytes: string) => void): void {
  after(head.toString("latin1"));
  socket.on("data", (d: Buffer) => after(d.toString("latin1")));
  socket.on("end", () => socket.end());
  socket.write('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"message":"No such thing"}');
}
