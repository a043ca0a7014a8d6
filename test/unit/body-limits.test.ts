// Bodies of calls that resolve a value are capped (maxBodyBytes, default 64 MiB), error bodies at
// 1 MiB: a hostile or broken engine sending a huge or endless answer gets a DockerStreamError and a
// dropped connection, not an exhausted heap or an exception thrown inside a socket callback.
import { afterEach, describe, expect, it } from "vitest";
import type net from "node:net";
import { Docker } from "../../adapters/node.ts";
import { Client } from "../../src/request/engine.ts";
import { DockerConfigError, DockerServerError, DockerStreamError } from "../../src/errors/errors.ts";
import { json, startFakeEngine, type Answer, type FakeEngine } from "./fake-engine.ts";

const MiB = 1024 * 1024;
const engines: FakeEngine[] = [];
const dockers: Docker[] = [];
afterEach(async () => {
  for (const d of dockers.splice(0)) await d.close();
  for (const e of engines.splice(0)) await e.close();
});

async function setup(answer: Answer, options: { maxBodyBytes?: number } = {}): Promise<{ engine: FakeEngine; docker: Docker }> {
  const engine = await startFakeEngine(answer);
  engines.push(engine);
  const docker = new Docker({ socketPath: engine.path, version: "1.41", ...options });
  dockers.push(docker);
  return { engine, docker };
}

/** Writes 64 KiB chunks for as long as the client reads, counting what went out. */
function endless(socket: net.Socket, chunked: boolean, sent: { bytes: number }): void {
  const piece = Buffer.alloc(64 * 1024, 0x61);
  const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece;
  const pump = () => {
    while (!socket.destroyed) {
      sent.bytes += piece.length;
      if (!socket.write(framed)) return void socket.once("drain", pump);
    }
  };
  pump();
}

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 10));
}

describe("bodies of calls that resolve a value", () => {
  it("a declared 100 MiB JSON body over a 1 MiB cap fails at once with DockerStreamError, the connection is dropped, the next call works", async () => {
    const { engine, docker } = await setup((req, socket) => {
      if (req.path.endsWith("/big")) return void socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${100 * MiB}\r\n\r\n[`);
      json(socket, { ok: true });
    }, { maxBodyBytes: MiB });
    const err = await docker.client.json({ method: "GET", path: "/big" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect((err as Error).message).toMatch(/larger than 1048576 bytes \(maxBodyBytes\)/);
    await waitFor(() => engine.closed === 1);
    expect(await docker.client.json({ method: "GET", path: "/ok" })).toEqual({ ok: true });
    expect(engine.connections).toBe(2);
  });

  it.each([["chunked", true], ["delimited by the connection's end", false]])(
    "an endless %s body over a 4 MiB cap fails with DockerStreamError; RSS stays bounded; the connection is dropped",
    async (_label, chunked) => {
      const sent = { bytes: 0 };
      const { engine, docker } = await setup((req, socket) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n"}\r\n`);
        endless(socket, chunked, sent);
      }, { maxBodyBytes: 4 * MiB });
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown) => uncaught.push(err);
      process.on("uncaughtException", onUncaught);
      try {
        const before = process.memoryUsage().rss;
        const err = await docker.containers.list().catch((e: unknown) => e);
        const grown = process.memoryUsage().rss - before;
        expect(err).toBeInstanceOf(DockerStreamError);
        await waitFor(() => engine.closed === 1);
        console.log(`endless ${_label} body, 4 MiB cap: engine wrote ${(sent.bytes / MiB).toFixed(1)} MiB before the drop, RSS grew ${(grown / MiB).toFixed(1)} MiB`);
        // What the client held is the cap plus what was in flight, not what the engine could send.
        expect(grown).toBeLessThan(64 * MiB);
        expect(uncaught).toEqual([]);
      } finally {
        process.off("uncaughtException", onUncaught);
      }
    },
  );

  it("a body within the cap is read whole, in many pieces", async () => {
    const value = { data: "x".repeat(3 * MiB) };
    const { docker } = await setup((req, socket) => {
      const body = Buffer.from(JSON.stringify(value));
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      for (let at = 0; at < body.length; at += 100_000) socket.write(body.subarray(at, at + 100_000));
    }, { maxBodyBytes: 4 * MiB });
    expect(await docker.client.json({ method: "GET", path: "/info" })).toEqual(value);
  });

  it("the default cap is 64 MiB", async () => {
    const { docker } = await setup((req, socket) => void socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${64 * MiB + 1}\r\n\r\n`));
    expect(docker.client.maxBodyBytes).toBe(64 * MiB);
    await expect(docker.client.json({ method: "GET", path: "/info" })).rejects.toThrow(/larger than 67108864 bytes/);
  });

  it("a stream is not capped: an events stream may carry more than maxBodyBytes", async () => {
    const line = Buffer.from(`${JSON.stringify({ status: "x".repeat(1000) })}\n`);
    const { docker } = await setup((req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (let i = 0; i < 3000; i++) socket.write(`${line.length.toString(16)}\r\n${line}\r\n`);
      socket.write("0\r\n\r\n");
    }, { maxBodyBytes: MiB });
    let n = 0;
    for await (const _ of await docker.events()) n++;
    expect(n).toBe(3000); // ~3 MiB through a 1 MiB cap
  });

  it("refuses a maxBodyBytes that is not a positive number", () => {
    const transport = { address: "x", request: () => Promise.reject(new Error("unused")) };
    expect(() => new Client({ transport, maxBodyBytes: 0 })).toThrow(DockerConfigError);
    expect(() => new Client({ transport, maxBodyBytes: Number.NaN })).toThrow(DockerConfigError);
  });
});

describe("error bodies", () => {
  it("an endless error body is read up to 1 MiB: the status is reported, the connection dropped, memory bounded", async () => {
    const sent = { bytes: 0 };
    const { engine, docker } = await setup((req, socket) => {
      socket.write("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
      endless(socket, true, sent);
    });
    const before = process.memoryUsage().rss;
    const err = await docker.client.json({ method: "GET", path: "/info" }).catch((e: unknown) => e);
    const grown = process.memoryUsage().rss - before;
    expect(err).toBeInstanceOf(DockerServerError);
    expect((err as DockerServerError).reason.length).toBeLessThanOrEqual(MiB);
    await waitFor(() => engine.closed === 1);
    console.log(`endless 500 body: engine wrote ${(sent.bytes / MiB).toFixed(1)} MiB before the drop, RSS grew ${(grown / MiB).toFixed(1)} MiB`);
    expect(grown).toBeLessThan(64 * MiB);
  });
});

describe("the core's own reading, for transports without collect() (fetch, Bun, Deno)", () => {
  function endlessResponse(status: number, counter: { pulled: number; cancelled: boolean }): Response {
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        counter.pulled += piece.length;
        controller.enqueue(piece);
      },
      cancel() {
        counter.cancelled = true;
      },
    }, { highWaterMark: 0 });
    return new Response(body, { status, headers: { "content-type": "application/json" } });
  }

  it("an endless body over the cap fails with DockerStreamError and is cancelled", async () => {
    const counter = { pulled: 0, cancelled: false };
    const transport = { address: "fake://", request: async () => endlessResponse(200, counter) };
    const client = new Client({ transport, version: "1.41", maxBodyBytes: 2 * MiB });
    const err = await client.json({ method: "GET", path: "/info" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(counter.cancelled).toBe(true);
    expect(counter.pulled).toBeLessThanOrEqual(2 * MiB + 128 * 1024);
  });

  it("an endless error body is read up to 1 MiB and cancelled; the status is reported", async () => {
    const counter = { pulled: 0, cancelled: false };
    const transport = { address: "fake://", request: async () => endlessResponse(500, counter) };
    const client = new Client({ transport, version: "1.41" });
    const err = await client.json({ method: "GET", path: "/info" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerServerError);
    expect(counter.cancelled).toBe(true);
    expect(counter.pulled).toBeLessThanOrEqual(MiB + 128 * 1024);
  });
});

describe("answers without a body", () => {
  it("a HEAD answer declaring a Content-Length over the cap is fine: it has no body", async () => {
    const { docker } = await setup((req, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${100 * MiB}\r\nX-Docker-Container-Path-Stat: ${Buffer.from(JSON.stringify({ name: "f", size: 100 * MiB, mode: 420, mtime: "2026-01-01T00:00:00Z", linkTarget: "" })).toString("base64")}\r\n\r\n`);
    }, { maxBodyBytes: MiB });
    const stat = await docker.containers.ref("c1").archiveInfo("/f");
    expect(stat.size).toBe(100 * MiB);
  });
});
