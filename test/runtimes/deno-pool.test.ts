// The Deno transport's keep-alive pool (adapters/deno-pool.ts) against a fake engine on Deno.listen:
// reuse, the idle timeout, Connection: close, the stale-connection retry, abort and timeout on a pooled
// connection, the limit on open connections.
//   deno test --allow-net test/runtimes/deno-pool.test.ts
import { DenoTransport } from "../../adapters/deno-transport.ts";
import { DockerConnectionError } from "../../adapters/deno.ts";
import { DenoPool, type DenoConn, type DenoPoolOptions } from "../../adapters/deno-pool.ts";

declare const Deno: {
  test(name: string, fn: () => Promise<void>): void;
  connect(options: { hostname: string; port: number }): Promise<DenoConn>;
  listen(options: { hostname: string; port: number }): {
    addr: { port: number };
    accept(): Promise<FakeConn>;
    close(): void;
  };
};

interface FakeConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

function assert(ok: unknown, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/**
 * A fake engine: `answer` is called per request head (its connection's index and the request's
 * number on it) and returns the bytes to write, or null to close the connection without answering.
 */
function fakeEngine(answer: (conn: number, nth: number, head: string) => string | null | Promise<string | null>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: FakeConn[] = [];
  let accepted = 0;
  const served = (async () => {
    for (;;) {
      let conn: FakeConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      conns.push(conn);
      const index = accepted++;
      void (async () => {
        const buf = new Uint8Array(65536);
        let pending = "";
        let nth = 0;
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            pending += new TextDecoder().decode(buf.subarray(0, n));
            let end: number;
            while ((end = pending.indexOf("\r\n\r\n")) !== -1) {
              const head = pending.slice(0, end);
              const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
              if (pending.length < end + 4 + length) break;
              pending = pending.slice(end + 4 + length);
              const reply = await answer(index, nth++, head);
              if (reply === null) {
                conn.close();
                return;
              }
              await conn.write(new TextEncoder().encode(reply));
            }
          }
        } catch {
          // closed by the test
        }
        try {
          conn.close();
        } catch {
          // already closed
        }
      })();
    }
  })();
  return {
    port: listener.addr.port,
    get accepted() {
      return accepted;
    },
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      await served;
    },
  };
}

/** `promise`, or a failure after `ms` (a pool that loses a slot would leave the call waiting forever). */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise the fake engine waits on, and what lets it go. */
function gate(): { held: Promise<void>; release: () => void } {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  return { held, release };
}

/** A pool of connections to the fake engine on `port`, errors passed through as they are. */
function tcpPool(port: number, options: Partial<DenoPoolOptions> = {}): DenoPool {
  return new DenoPool({
    open: () => Deno.connect({ hostname: "127.0.0.1", port }),
    host: `127.0.0.1:${port}`,
    address: `tcp://127.0.0.1:${port}`,
    failure: (err) => err as Error,
    ...options,
  });
}

const ok = (body: string, extra = "") => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

function transport(port: number): DenoTransport {
  return new DenoTransport({ protocol: "http", hostname: "127.0.0.1", port });
}

Deno.test("pool: a connection is reused after a fully read answer", async () => {
  const engine = fakeEngine((_c, nth) => ok(`n${nth}`));
  const t = transport(engine.port);
  try {
    for (let i = 0; i < 3; i++) {
      const r = await t.request({ method: "GET", path: "/_ping", headers: {} });
      assert((await r.text()) === `n${i}`, "answer in order");
    }
    const r = await t.request({ method: "POST", path: "/x", headers: { "Content-Type": "application/json" }, body: '{"a":1}' });
    assert((await r.text()) === "n3", "a JSON body is sent and the connection reused");
    assert(engine.accepted === 1, `one connection, got ${engine.accepted}`);
  } finally {
    await t.close();
    await engine.close();
  }
});

Deno.test("pool: an idle connection is closed after idleTimeout and not reused", async () => {
  const engine = fakeEngine(() => ok("OK"));
  const pool = tcpPool(engine.port, { idleTimeout: 50 });
  try {
    await (await pool.request({ method: "GET", path: "/_ping", headers: {} })).text();
    const before = pool.idleCount;
    assert(before === 1, `idle after the answer, got ${before}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = pool.idleCount;
    assert(after === 0, `swept after idleTimeout, got ${after}`);
    await (await pool.request({ method: "GET", path: "/_ping", headers: {} })).text();
    assert(engine.accepted === 2, `a fresh connection after the sweep, got ${engine.accepted}`);
  } finally {
    pool.close();
    await engine.close();
  }
});

Deno.test("pool: Connection: close is honoured", async () => {
  const engine = fakeEngine(() => ok("OK", "Connection: close\r\n"));
  const t = transport(engine.port);
  try {
    for (let i = 0; i < 2; i++) await (await t.request({ method: "GET", path: "/_ping", headers: {} })).text();
    assert(engine.accepted === 2, `a connection each, got ${engine.accepted}`);
  } finally {
    await t.close();
    await engine.close();
  }
});

Deno.test("pool: a stale reused connection is retried once for a GET", async () => {
  // The second request on the first connection finds it closed without an answer.
  const engine = fakeEngine((conn, nth) => (conn === 0 && nth === 1 ? null : ok("OK")));
  const t = transport(engine.port);
  try {
    await (await t.request({ method: "GET", path: "/_ping", headers: {} })).text();
    const r = await t.request({ method: "GET", path: "/_ping", headers: {} });
    assert((await r.text()) === "OK", "answered on a fresh connection");
    assert(engine.accepted === 2, `two connections, got ${engine.accepted}`);
  } finally {
    await t.close();
    await engine.close();
  }
});

Deno.test("pool: a POST on a stale connection is not sent again", async () => {
  const engine = fakeEngine((conn, nth) => (conn === 0 && nth === 1 ? null : ok("OK")));
  const t = transport(engine.port);
  try {
    await (await t.request({ method: "GET", path: "/_ping", headers: {} })).text();
    let failure: unknown;
    await t.request({ method: "POST", path: "/containers/x/start", headers: {} }).catch((err) => (failure = err));
    assert(failure instanceof DockerConnectionError, `DockerConnectionError, got ${failure}`);
    assert(engine.accepted === 1, `no second connection, got ${engine.accepted}`);
  } finally {
    await t.close();
    await engine.close();
  }
});

Deno.test("pool: an abort fails a request waiting on a pooled connection and closes it", async () => {
  const { held, release } = gate();
  const engine = fakeEngine(async (_c, nth) => {
    if (nth === 1) await held;
    return ok("OK");
  });
  const t = transport(engine.port);
  try {
    await (await t.request({ method: "GET", path: "/_ping", headers: {} })).text();
    const controller = new AbortController();
    const pending = t.request({ method: "GET", path: "/slow", headers: {}, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    let failure: unknown;
    await pending.catch((err) => (failure = err));
    assert((failure as Error)?.name === "AbortError", `AbortError, got ${failure}`);
    release();
    // The aborted connection is gone: the next request opens another.
    await (await t.request({ method: "GET", path: "/_ping", headers: {} })).text();
    assert(engine.accepted === 2, `a new connection after the abort, got ${engine.accepted}`);
  } finally {
    release();
    await t.close();
    await engine.close();
  }
});

Deno.test("pool: a call's timeout works on a pooled connection", async () => {
  const { Docker, DockerTimeoutError } = await import("../../adapters/deno.ts");
  const { held, release } = gate();
  const engine = fakeEngine(async (_c, _nth, head) => {
    if (head.includes("/slow")) await held;
    return ok('{"ok":true}', "Content-Type: application/json\r\n");
  });
  const docker = new Docker({ host: `tcp://127.0.0.1:${engine.port}`, version: "1.41" });
  try {
    await docker.client.json({ method: "GET", path: "/fast", unversioned: true });
    let failure: unknown;
    await docker.client.json({ method: "GET", path: "/slow", unversioned: true, timeout: 50 }).catch((err: unknown) => (failure = err));
    assert(failure instanceof DockerTimeoutError, `DockerTimeoutError, got ${failure}`);
  } finally {
    release();
    await docker.close();
    await engine.close();
  }
});

Deno.test("pool: at most maxSockets connections; further calls wait for one and are all answered", async () => {
  const { held, release } = gate();
  const engine = fakeEngine(async (conn, nth) => {
    await held;
    return ok(`c${conn}n${nth}`);
  });
  const t = new DenoTransport({ protocol: "http", hostname: "127.0.0.1", port: engine.port }, { maxSockets: 2 });
  try {
    const calls = Array.from({ length: 5 }, () => t.request({ method: "GET", path: "/_ping", headers: {} }).then((r) => r.text()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert(engine.accepted === 2, `two connections while five calls wait, got ${engine.accepted}`);
    release();
    const answers = await within(5000, Promise.all(calls), "the waiting calls");
    assert(answers.every((a) => /^c[01]n\d$/.test(a)), `every call answered on one of the two, got ${answers.join(",")}`);
    assert(engine.accepted === 2, `still two connections, got ${engine.accepted}`);
  } finally {
    release();
    await t.close();
    await engine.close();
  }
});

Deno.test("pool: an abort ends a call waiting for a connection; the limit holds after it", async () => {
  const { held, release } = gate();
  const engine = fakeEngine(async (_c, _nth, head) => {
    if (head.includes("/slow")) await held;
    return ok("OK");
  });
  const pool = tcpPool(engine.port, { maxSockets: 1 });
  try {
    const slow = pool.request({ method: "GET", path: "/slow", headers: {} }).then((r) => r.text());
    const controller = new AbortController();
    const waiting = pool.request({ method: "GET", path: "/_ping", headers: {}, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    let failure: unknown;
    await waiting.catch((err) => (failure = err));
    assert((failure as Error)?.name === "AbortError", `AbortError for the waiting call, got ${failure}`);
    release();
    assert((await slow) === "OK", "the call holding the connection is answered");
    assert((await (await pool.request({ method: "GET", path: "/_ping", headers: {} })).text()) === "OK", "a later call is answered");
    assert(engine.accepted === 1 && pool.openCount === 1, `one connection, got ${engine.accepted} accepted, ${pool.openCount} open`);
  } finally {
    release();
    pool.close();
    await engine.close();
  }
});

Deno.test("pool: a closed connection's slot goes to a waiting call", async () => {
  const engine = fakeEngine((conn) => ok("OK", conn === 0 ? "Connection: close\r\n" : ""));
  const pool = tcpPool(engine.port, { maxSockets: 1 });
  try {
    const calls = [0, 1].map(() => pool.request({ method: "GET", path: "/_ping", headers: {} }).then((r) => r.text()));
    const [a, b] = await within(5000, Promise.all(calls), "the call waiting for the slot");
    assert(a === "OK" && b === "OK", "both answered");
    assert(engine.accepted === 2 && pool.openCount === 1, `a second connection after the first closed, got ${engine.accepted} accepted, ${pool.openCount} open`);
  } finally {
    pool.close();
    await engine.close();
  }
});

Deno.test("pool: maxSockets and idleTimeout are checked when the Docker is made", async () => {
  const { Docker, DockerConfigError } = await import("../../adapters/deno.ts");
  for (const options of [{ maxSockets: 0 }, { maxSockets: 1.5 }, { idleTimeout: -1 }]) {
    let failure: unknown;
    try {
      new Docker({ host: "tcp://127.0.0.1:1", ...options });
    } catch (err) {
      failure = err;
    }
    assert(failure instanceof DockerConfigError, `DockerConfigError for ${JSON.stringify(options)}, got ${failure}`);
  }
});
