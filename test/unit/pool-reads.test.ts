// The Node pool's reading: plain sockets hand their reads to the pool through readInto (no
// 'data' events), and a connection left paused by a reader that fell behind is read again when
// its next exchange starts.
import { afterEach, describe, expect, it } from "vitest";
import { NodeTransport } from "../../adapters/node-transport.ts";
import { readInto } from "../../adapters/node-http1.ts";
import { json, startFakeEngine, type FakeEngine } from "./fake-engine.ts";

const engines: FakeEngine[] = [];
const transports: NodeTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const e of engines.splice(0)) await e.close();
});

describe("readInto", () => {
  it("hands each read over as a plain Uint8Array of its own", () => {
    const seen: Uint8Array[] = [];
    const option = readInto((bytes) => seen.push(bytes));
    option.buffer.set([1, 2, 3]);
    expect(option.callback(3, option.buffer)).toBe(true);
    option.buffer.set([9, 9, 9]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.constructor).toBe(Uint8Array);
    expect([...seen[0]!]).toEqual([1, 2, 3]);
  });
});

describe("the pool's reading", () => {
  it("a body that ended while unread and paused leaves its connection readable for the next request", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const engine = await startFakeEngine((req, socket) => {
      if (req.path === "/big") {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`);
        return void socket.write(big);
      }
      json(socket, { path: req.path });
    });
    engines.push(engine);
    const transport = new NodeTransport({ socketPath: engine.path }, { maxSockets: 1 });
    transports.push(transport);
    const response = await transport.request({ method: "GET", path: "/big", headers: {} });
    // Nobody reads for a while: more than the pool holds unread arrives, and the connection pauses.
    await new Promise((r) => setTimeout(r, 200));
    const body = new Uint8Array(await new Response(response.body).arrayBuffer());
    expect(body.length).toBe(big.length);
    expect(body.every((b) => b === 7)).toBe(true);
    const next = await transport.request({ method: "GET", path: "/after", headers: {} });
    expect(JSON.parse(await next.text())).toEqual({ path: "/after" });
    expect(engine.connections).toBe(1);
  });

  it("a streamed body arrives whole and in order over a plain socket", async () => {
    const pieces = Array.from({ length: 200 }, (_, i) => Buffer.alloc(4104, i % 251));
    const engine = await startFakeEngine((_req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n");
      for (const p of pieces) socket.write(p);
      socket.end();
    });
    engines.push(engine);
    const transport = new NodeTransport({ socketPath: engine.path });
    transports.push(transport);
    const response = await transport.request({ method: "POST", path: "/exec/x/start", headers: {}, stream: true });
    const body = new Uint8Array(await new Response(response.body).arrayBuffer());
    expect(Buffer.from(body).equals(Buffer.concat(pieces))).toBe(true);
  });
});
