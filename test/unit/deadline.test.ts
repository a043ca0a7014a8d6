// Time limits and aborts of a call (src/request/deadline.ts and the client), through the Node pool against
// a fake engine: an idle timeout between body bytes of a call that resolves a value, none for a
// stream, an opt-in total deadline, capped chunked trailers, and no listener left on a shared signal.
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type net from "node:net";
import { Docker } from "../../adapters/node.ts";
import { Deadline, onAbort } from "../../src/request/deadline.ts";
import { DockerAbortError, DockerStreamError, DockerTimeoutError } from "../../src/errors/errors.ts";
import { json, startFakeEngine, type Answer, type FakeEngine } from "./fake-engine.ts";

const engines: FakeEngine[] = [];
const dockers: Docker[] = [];
const timers: ReturnType<typeof setInterval>[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const d of dockers.splice(0)) await d.close();
  for (const e of engines.splice(0)) await e.close();
});

async function setup(answer: Answer, options: { timeout?: number } = {}): Promise<{ engine: FakeEngine; docker: Docker }> {
  const engine = await startFakeEngine(answer);
  engines.push(engine);
  const docker = new Docker({ socketPath: engine.path, version: "1.41", ...options });
  dockers.push(docker);
  return { engine, docker };
}

/** Writes `bytes` one at a time, every `ms`, while the socket is open. */
function trickle(socket: net.Socket, bytes: string, ms: number): void {
  let i = 0;
  const t = setInterval(() => {
    if (socket.destroyed || i >= bytes.length) return clearInterval(t);
    socket.write(bytes[i++]!);
  }, ms);
  timers.push(t);
}

const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

describe("idle timeout of a call that resolves a value", () => {
  it("a body trickled at 1 byte/s makes list({ timeout: 500 }) reject with DockerTimeoutError (idle), and the connection is dropped", async () => {
    const body = JSON.stringify([{ Id: "a".repeat(64), Names: ["/x"] }]);
    const { engine, docker } = await setup((req, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      trickle(socket, body, 1000);
    });
    const started = Date.now();
    const err = await docker.containers.list({ timeout: 500 }).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(DockerTimeoutError);
    expect((err as DockerTimeoutError).phase).toBe("idle");
    expect((err as Error).message).toMatch(/GET \/containers\/json timed out: the engine sent nothing for 500 ms/);
    console.log(`trickled list: rejected after ${took} ms`);
    await waitFor(() => engine.closedByClient === 1);
  });

  it("bytes that keep coming inside the idle timeout keep the call alive", async () => {
    const body = JSON.stringify({ ok: "y".repeat(30) });
    const { docker } = await setup((req, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      trickle(socket, body, 10); // 40 bytes over ~400 ms, never 300 ms of silence
    });
    expect(await docker.client.json({ method: "GET", path: "/info", timeout: 300 })).toEqual(JSON.parse(body));
  });

  it("wait({ timeout }) rejects with DockerTimeoutError though the engine sent /wait's head at once", async () => {
    const { docker } = await setup((req, socket) => {
      if (req.path.includes("/wait")) {
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        return; // the container never exits
      }
      json(socket, {});
    });
    const started = Date.now();
    const err = await docker.containers.ref("c1").wait({ timeout: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerTimeoutError);
    console.log(`wait({ timeout: 300 }): rejected after ${Date.now() - started} ms`);
  });

  it("wait() without a timeout is not limited by the client's default", async () => {
    const { docker } = await setup((req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      setTimeout(() => socket.write(chunk('{"StatusCode":3}') + "0\r\n\r\n"), 600);
    }, { timeout: 200 });
    expect(await docker.containers.ref("c1").wait()).toEqual({ StatusCode: 3 });
  });

  it("endless chunked trailers are capped like a head and fail with DockerStreamError", async () => {
    const { engine, docker } = await setup((req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("OK") + "0\r\n");
      const line = `X-Trailer: ${"t".repeat(1000)}\r\n`;
      const flood = () => {
        while (!socket.destroyed && socket.write(line));
        if (!socket.destroyed) socket.once("drain", flood);
      };
      flood();
    });
    const err = await docker.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect((err as Error).message).toMatch(/trailer section larger than 65536 bytes/);
    await waitFor(() => engine.closedByClient === 1);
  });
});

describe("streams and the total deadline", () => {
  it("a stream has no idle timeout: an events stream silent for longer than the timeout goes on", async () => {
    const { docker } = await setup((req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      setTimeout(() => socket.write(chunk('{"status":"start"}\n') + "0\r\n\r\n"), 500);
    }, { timeout: 150 });
    const seen: unknown[] = [];
    for await (const event of await docker.events()) seen.push(event);
    expect(seen).toEqual([{ status: "start" }]);
  });

  it("a collected pull silent for longer than the default timeout is not killed", async () => {
    const { docker } = await setup((req, socket) => {
      if (req.path.includes("/images/create")) {
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        setTimeout(() => socket.write(chunk('{"status":"Downloaded newer image"}\n') + "0\r\n\r\n"), 500);
        return;
      }
      json(socket, { Id: "sha256:1" });
    }, { timeout: 150 });
    const image = await docker.images.pull("busybox:latest");
    expect(image).toBeDefined();
  });

  it("deadline bounds a stream that keeps sending: DockerTimeoutError (deadline), connection dropped", async () => {
    const { engine, docker } = await setup((req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      const t = setInterval(() => (socket.destroyed ? clearInterval(t) : socket.write(chunk('{"status":"tick"}\n'))), 20);
      timers.push(t);
    });
    let n = 0;
    const err = await (async () => {
      for await (const _ of await docker.events({ deadline: 400 })) n++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerTimeoutError);
    expect((err as DockerTimeoutError).phase).toBe("deadline");
    expect(n).toBeGreaterThan(0);
    // Dropped by the client: a FIN, or a reset when a tick was still unread as the socket closed.
    await waitFor(() => engine.closed === 1);
  });

  it("deadline bounds a value whose bytes keep coming inside the idle timeout", async () => {
    const { docker } = await setup((req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      const t = setInterval(() => (socket.destroyed ? clearInterval(t) : socket.write(chunk(" "))), 20);
      timers.push(t);
    });
    const err = await docker.client.json({ method: "GET", path: "/info", timeout: 200, deadline: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerTimeoutError);
    expect((err as DockerTimeoutError).phase).toBe("deadline");
  });
});

describe("one long-lived signal shared by many calls", () => {
  it("2,200 calls, 100 at a time, leave no abort listener on it and no MaxListenersExceededWarning", async () => {
    const { docker } = await setup((req, socket) => {
      if (req.path.includes("/nothing")) return json(socket, { message: "no such container" }, 404);
      if (req.path.includes("/events")) {
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        socket.write(chunk('{"status":"x"}\n') + "0\r\n\r\n");
        return;
      }
      json(socket, { ok: true });
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    const shutdown = new AbortController();
    const signal = shutdown.signal;
    let added = 0;
    let removed = 0;
    let peak = 0;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<AbortSignal["addEventListener"]>) => (added++, (peak = Math.max(peak, getEventListeners(signal, "abort").length + 1)), add(...args))) as AbortSignal["addEventListener"];
    signal.removeEventListener = ((...args: Parameters<AbortSignal["removeEventListener"]>) => (removed++, remove(...args))) as AbortSignal["removeEventListener"];
    try {
      for (let round = 0; round < 22; round++) {
        await Promise.all(Array.from({ length: 100 }, async (_, i) => {
          if (i % 10 === 0) {
            // a failing call
            await docker.client.json({ method: "GET", path: "/nothing", signal }).catch(() => {});
          } else if (i % 10 === 1) {
            // a stream read to its end
            for await (const _ of await docker.events({ signal }));
          } else {
            await docker.client.json({ method: "GET", path: "/info", signal });
          }
        }));
      }
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      expect(removed).toBe(added);
      // 100 calls at a time share one listener: berth registers one per signal, not one per call.
      expect(peak).toBeLessThanOrEqual(1);
      expect(added).toBeGreaterThan(0);
      console.log(`2,200 calls on one signal, 100 at a time: ${added} listeners added, ${removed} removed, ${getEventListeners(signal, "abort").length} left, peak ${peak}`);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning").map(String)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("hijacked calls (attach) whose output ends stop listening to the signal, even unclosed", async () => {
    const { docker } = await setup((req, socket) => {
      if (req.path.includes("/attach")) {
        socket.write("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello");
        return void socket.end();
      }
      json(socket, {});
    });
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i++) {
      const conn = await docker.client.hijack({ method: "POST", path: "/containers/{id}/attach", params: { id: "c1" }, query: { stream: true, stdout: true }, signal });
      expect(await new Response(conn.readable).text()).toBe("hello");
    }
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  it("an aborted call still reports DockerAbortError and leaves nothing behind", async () => {
    const { docker } = await setup(() => {}); // never answers
    const controller = new AbortController();
    const pending = docker.client.json({ method: "GET", path: "/info", signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(DockerAbortError);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("Deadline and onAbort on their own", () => {
  it("onAbort runs at once on an aborted signal and its remover removes the listener", () => {
    const c = new AbortController();
    let n = 0;
    const stop = onAbort(c.signal, () => n++);
    expect(getEventListeners(c.signal, "abort")).toHaveLength(1);
    stop();
    expect(getEventListeners(c.signal, "abort")).toHaveLength(0);
    c.abort();
    expect(n).toBe(0);
    onAbort(c.signal, () => n++);
    expect(n).toBe(1);
  });

  it("onAbort shares one listener among many registrations; each removal is its own", () => {
    const c = new AbortController();
    const fired: number[] = [];
    const f = (n: number) => () => fired.push(n);
    const stops = [1, 2, 3, 4].map((n) => onAbort(c.signal, f(n)));
    const same = () => {};
    const twice = [onAbort(c.signal, same), onAbort(c.signal, same)];
    expect(getEventListeners(c.signal, "abort")).toHaveLength(1);
    stops[1]!();
    stops[1]!(); // a second call removes nothing else
    twice[0]!();
    c.abort();
    expect(fired).toEqual([1, 3, 4]);
    expect(getEventListeners(c.signal, "abort")).toHaveLength(0);

    const d = new AbortController();
    const all = Array.from({ length: 50 }, () => onAbort(d.signal, () => {}));
    expect(getEventListeners(d.signal, "abort")).toHaveLength(1);
    for (const stop of all) stop();
    expect(getEventListeners(d.signal, "abort")).toHaveLength(0);
    // and the next registration starts afresh
    let later = 0;
    onAbort(d.signal, () => later++);
    d.abort();
    expect(later).toBe(1);
  });

  it("end() clears its timers: an ended deadline never fires", async () => {
    const user = new AbortController();
    const d = new Deadline("GET", "/x", { signal: user.signal, timeout: 30, deadline: 40 });
    d.watchIdle(20);
    d.end();
    expect(getEventListeners(user.signal, "abort")).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(d.signal.aborted).toBe(false);
  });

  it("the head timeout stops when headers arrive; the deadline does not", async () => {
    const d = new Deadline("GET", "/x", { timeout: 20, deadline: 60 });
    d.headersArrived();
    await new Promise((r) => setTimeout(r, 40));
    expect(d.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(d.signal.aborted).toBe(true);
    expect(d.error(new Error("x"))).toBeInstanceOf(DockerTimeoutError);
    d.end();
  });
});

async function waitFor(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 10));
}
