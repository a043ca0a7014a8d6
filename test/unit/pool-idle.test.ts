// Idle pooled connections of the Node transport are closed after `idleTimeout` (default 90 s, as Go's
// client), so that no request is written onto a connection a proxy dropped silently meanwhile; the
// timer that closes them never keeps the process alive.
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_IDLE_TIMEOUT } from "../../src/transport/http/pool-limits.ts";
import { NodeTransport } from "../../adapters/node-transport.ts";
import { Docker } from "../../adapters/node.ts";
import { json, startFakeEngine, type FakeEngine } from "./fake-engine.ts";

const engines: FakeEngine[] = [];
const transports: NodeTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const e of engines.splice(0)) await e.close();
});

async function setup(idleTimeout?: number): Promise<{ engine: FakeEngine; transport: NodeTransport }> {
  const engine = await startFakeEngine((req, socket) => json(socket, { path: req.path }));
  engines.push(engine);
  const transport = new NodeTransport({ socketPath: engine.path }, idleTimeout === undefined ? {} : { idleTimeout });
  transports.push(transport);
  return { engine, transport };
}

async function get(transport: NodeTransport, path: string): Promise<unknown> {
  return JSON.parse(await (await transport.request({ method: "GET", path, headers: {} })).text());
}

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 10));
}

const refedTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("idle pooled connections", () => {
  it("are closed after the configured idleTimeout: the engine sees the client end the connection", async () => {
    const { engine, transport } = await setup(200);
    const started = Date.now();
    await get(transport, "/a");
    await get(transport, "/b"); // reused while fresh
    expect(engine.connections).toBe(1);
    await waitFor(() => engine.closedByClient === 1);
    console.log(`idle connection closed by the client ${Date.now() - started} ms after the first request (idleTimeout 200)`);
    // The next request opens a new connection instead of writing onto the closed one.
    expect(await get(transport, "/c")).toEqual({ path: "/c" });
    expect(engine.connections).toBe(2);
    expect(engine.requests.map((r) => [r.path, r.connection])).toEqual([["/a", 0], ["/b", 0], ["/c", 1]]);
  });

  it("several idle connections are all closed, each after its own idle time", async () => {
    const { engine, transport } = await setup(150);
    await Promise.all(["/1", "/2", "/3"].map((p) => get(transport, p)));
    expect(engine.connections).toBe(3);
    await waitFor(() => engine.closedByClient === 3);
  });

  it("a connection in use is not closed by the idle timer", async () => {
    const engine = await startFakeEngine((req, socket) => {
      if (req.path === "/slow") return void setTimeout(() => json(socket, { slow: true }), 400);
      json(socket, {});
    });
    engines.push(engine);
    const transport = new NodeTransport({ socketPath: engine.path }, { idleTimeout: 100 });
    transports.push(transport);
    await get(transport, "/fast");
    // The same connection is taken again before its idle time ends, then kept busy past it.
    expect(await get(transport, "/slow")).toEqual({ slow: true });
    expect(engine.requests.map((r) => r.connection)).toEqual([0, 0]);
  });

  it("the idle timer does not keep the process alive (it is unref'd)", async () => {
    const { transport } = await setup(60_000);
    const before = refedTimers();
    await get(transport, "/a");
    await new Promise((r) => setImmediate(r));
    expect(refedTimers()).toBe(before);
  });

  it("0 keeps idle connections until the engine closes them; the default is 90 s", async () => {
    expect(DEFAULT_IDLE_TIMEOUT).toBe(90_000);
    const { engine, transport } = await setup(0);
    await get(transport, "/a");
    await new Promise((r) => setTimeout(r, 300));
    expect(engine.closedByClient).toBe(0);
    await get(transport, "/b");
    expect(engine.connections).toBe(1);
  });

  it("is set on the Node Docker as idleTimeout", async () => {
    const engine = await startFakeEngine((req, socket) => json(socket, {}));
    engines.push(engine);
    const docker = new Docker({ socketPath: engine.path, version: "1.41", idleTimeout: 100 });
    try {
      await docker.client.json({ method: "GET", path: "/info" });
      await waitFor(() => engine.closedByClient === 1);
    } finally {
      await docker.close();
    }
  });
});
