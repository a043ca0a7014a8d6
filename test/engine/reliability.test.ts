// Reliability against real engines: what long-running users of berth meet sooner or later.
//
// - The engine killed (SIGKILL) under live streams, then started again. Never the main engine:
//   scripts/spare-engine.sh runs a second, disposable dockerd which this file starts and stops.
// - A thousand calls aborted mid-flight (pulls or builds, uploads, log streams, execs) leave no
//   socket or file descriptor behind.
// - Timeouts: headers that never come time out; a quiet but alive stream is never cut.
// - A slow reader of a fast stream keeps memory bounded: backpressure reaches the socket.
// - A thousand concurrent requests go through a bounded pool of connections.
// - Hostile ids and names reach exactly the endpoint meant, or fail as not found.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  Docker,
  DockerAbortError,
  DockerBadRequestError,
  DockerConnectionError,
  DockerError,
  DockerNotFoundError,
  DockerTimeoutError,
  type Container,
} from "berth-docker";
import { IMAGE, cleanup, useEngine } from "./helpers.ts";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT = join(import.meta.dirname, "../..");
const SPARE_SCRIPT = join(ROOT, "scripts/spare-engine.sh");
const SPARE_STATE = process.env.BERTH_SPARE_ENGINE_STATE ?? "/var/lib/berth-spare-engine";
const SPARE_SOCK = join(SPARE_STATE, "docker.sock");
const NO_NETWORK = { NetworkMode: "none" } as const;

/** Sockets this process holds open and in use (idle pooled ones are unref'd and not counted). */
function activeSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "PipeWrap" || r === "TCPSocketWrap" || r === "TLSWrap").length;
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Waits until `check` holds (polling), or gives up after `ms`; returns whether it held. */
async function settle(check: () => boolean, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

/** Which network interfaces exist: nothing this file starts may add or remove any but its own. */
function hostLinks(): string[] {
  const out = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.split(": ")[1]?.split("@")[0])
    .filter((name): name is string => !!name && !name.startsWith("veth"))
    .sort();
}

// ---------------------------------------------------------------------------------------------

describe("the engine killed mid-stream", () => {
  const lockDir = `${SPARE_STATE}.lock`;
  let spare: Docker;
  const run_ = `${Date.now().toString(36)}-${process.pid}`;
  const labels = { "berth.test": "1", "berth.test.run": run_ };
  let linksBefore: string[];

  /** One test run at a time kills the spare engine: a lock directory holding the owner's pid. */
  async function lock(): Promise<void> {
    const until = Date.now() + 120_000;
    for (;;) {
      try {
        mkdirSync(lockDir);
        writeFileSync(join(lockDir, "pid"), String(process.pid));
        return;
      } catch {
        let owner = NaN;
        try {
          owner = Number(readFileSync(join(lockDir, "pid"), "utf8"));
        } catch {
          // being created or removed right now
        }
        let alive = false;
        try {
          if (owner > 0) alive = (process.kill(owner, 0), true);
        } catch {
          alive = false;
        }
        if (owner > 0 && !alive) rmSync(lockDir, { recursive: true, force: true });
        if (Date.now() > until) throw new Error(`the spare engine is locked by process ${owner}`);
        await sleep(250);
      }
    }
  }

  function sparePid(): number {
    return Number(readFileSync(join(SPARE_STATE, "dockerd.pid"), "utf8"));
  }

  async function startSpare(): Promise<void> {
    // Asynchronous, so that streams and timers in this process keep running meanwhile.
    await run("bash", [SPARE_SCRIPT, "--quiet"], { timeout: 90_000 });
  }

  async function killSpare(): Promise<void> {
    const pid = sparePid();
    process.kill(pid, "SIGKILL");
    await settle(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 5_000);
  }

  beforeAll(async () => {
    linksBefore = hostLinks();
    await lock();
    await startSpare();
    spare = new Docker({ socketPath: SPARE_SOCK, timeout: 15_000 });
  }, 120_000);

  afterAll(async () => {
    try {
      if (spare) {
        // A test that failed while the engine was down left it dead, with its containers' shims
        // running: start it again so it reaps them, and remove what this file created.
        await startSpare().catch(() => {});
        await cleanup(spare, run_).catch(() => {});
        await spare.close();
      }
      await run("bash", [SPARE_SCRIPT, "--stop"], { timeout: 60_000 }).catch(() => {});
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
    // The spare engine has a bridge of its own; docker0 and every other interface are untouched.
    expect(hostLinks().filter((l) => l !== "berth-spare0")).toEqual(linksBefore.filter((l) => l !== "berth-spare0"));
  }, 120_000);

  async function ticking(name: string): Promise<Container> {
    const c = await spare.containers.create(
      { Image: IMAGE, Cmd: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"], Labels: labels, HostConfig: NO_NETWORK },
      { name: `${name}-${run_}` },
    );
    await c.start();
    return c;
  }

  /** Reads a stream to its end; resolves with how it ended, never rejects. */
  async function drain(stream: AsyncIterable<unknown>, onFirst: () => void): Promise<{ error: unknown; at: number; items: number }> {
    let items = 0;
    try {
      for await (const _ of stream) if (++items === 1) onFirst();
      return { error: undefined, at: Date.now(), items };
    } catch (error) {
      return { error, at: Date.now(), items };
    }
  }

  it("follow-logs, attach, exec and events error promptly with DockerConnectionError; the next calls succeed", async () => {
    const a = await ticking("rel-logs");
    const b = await ticking("rel-attach");
    const firsts: Array<Promise<void>> = [];
    const first = () => {
      let signal!: () => void;
      firsts.push(new Promise<void>((r) => (signal = r)));
      return signal;
    };

    const logs = await a.logs({ follow: true, tty: false });
    const attach = await b.attach({ stdout: true, stderr: true, tty: false });
    const exec = await a.execStream(["sh", "-c", "while true; do echo x; sleep 0.1; done"]);
    const execStdin = await a.execStream(["cat"], { stdin: true });
    const events = await spare.events();
    const ended = [
      drain(logs, first()),
      drain(attach, first()),
      drain(exec, first()),
      drain(execStdin, first()),
      drain(events, first()),
    ];
    await execStdin.write("echo\n");
    // An event, so the events stream is seen flowing too.
    await spare.containers.create({ Image: IMAGE, Labels: labels, HostConfig: NO_NETWORK });
    await Promise.all(firsts);

    // Keep-alive connections to be found dead after the restart.
    await Promise.all(Array.from({ length: 8 }, () => spare.ping()));

    const killedAt = Date.now();
    await killSpare();
    const outcomes = await Promise.all(ended);
    for (const [i, outcome] of outcomes.entries()) {
      const what = ["logs", "attach", "exec", "exec with stdin", "events"][i];
      expect(outcome.error, what).toBeInstanceOf(DockerConnectionError);
      expect(outcome.at - killedAt, `${what} noticed the engine's death promptly`).toBeLessThan(3_000);
    }

    // Calls while the engine is down fail fast with a connection error, never hang.
    const down = await spare.containers.list().catch((e) => e);
    expect(down).toBeInstanceOf(DockerConnectionError);

    await startSpare();
    // Every pooled connection died with the engine: idempotent and other calls both go through.
    expect(await spare.ping()).toBe("OK");
    const listed = await spare.containers.list({ all: true, filters: { label: [`berth.test.run=${run_}`] } });
    expect(listed.length).toBeGreaterThanOrEqual(2);
    const c = await spare.containers.create({ Image: IMAGE, Cmd: ["echo", "back"], Labels: labels, HostConfig: NO_NETWORK });
    await c.start();
    await c.wait();
    expect(await (await c.logs()).text()).toBe("back\n");
  }, 120_000);

  it("a call in flight (a POST waiting for its answer) fails with DockerConnectionError when the engine dies", async () => {
    const c = await spare.containers.create({ Image: IMAGE, Cmd: ["sleep", "3600"], Labels: labels, HostConfig: NO_NETWORK });
    await c.start();
    const waiting = c.wait().then(
      () => undefined,
      (e) => e,
    );
    await sleep(200);
    await killSpare();
    expect(await waiting).toBeInstanceOf(DockerConnectionError);
    await startSpare();
    expect(await spare.ping()).toBe("OK");
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe("aborted calls release their connections", () => {
  const { docker, container, labels } = useEngine();

  /** An endless tar stream: a header for a huge file, then zeros. Counts cancellations. */
  function endlessContext(stats: { cancelled: number; sent: number }): ReadableStream<Uint8Array> {
    const header = new Uint8Array(512);
    header.set(new TextEncoder().encode("big"), 0);
    const write = (at: number, text: string) => header.set(new TextEncoder().encode(text), at);
    write(100, "0000644\0");
    write(108, "0000000\0");
    write(116, "0000000\0");
    write(124, "77777777777\0");
    write(136, "00000000000\0");
    header[156] = 0x30;
    write(257, "ustar\x0000");
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    write(148, `${sum.toString(8).padStart(6, "0")}\0 `);
    const zeros = new Uint8Array(64 * 1024);
    let first = true;
    return new ReadableStream<Uint8Array>({
      pull(c) {
        const chunk = first ? header : zeros;
        first = false;
        stats.sent += chunk.length;
        c.enqueue(chunk);
      },
      cancel() {
        stats.cancelled++;
      },
    });
  }

  async function registryUp(): Promise<boolean> {
    try {
      const r = await fetch("http://127.0.0.1:5000/v2/", { signal: AbortSignal.timeout(1000) });
      return r.status === 200 || r.status === 401;
    } catch {
      return false;
    }
  }

  it("a thousand aborted pulls or builds, uploads, log streams and execs: sockets and fds back to baseline", async () => {
    const busy = await container({ Cmd: ["sh", "-c", "while true; do echo tick; sleep 0.02; done"], HostConfig: NO_NETWORK });
    await busy.start();
    const fdsBefore = openFds();
    const client = Docker.fromEnv();
    const pullRef = (await registryUp()) ? await pushForPulls(client) : undefined;

    const upload = { cancelled: 0, sent: 0 };
    const outcomes = new Map<string, number>();
    const note = (kind: string, err: unknown) => {
      const name = err === undefined ? "completed" : err instanceof DockerError ? err.name : `UNTYPED ${String(err)}`;
      outcomes.set(`${kind}: ${name}`, (outcomes.get(`${kind}: ${name}`) ?? 0) + 1);
    };

    const kinds: Array<[string, (signal: AbortSignal) => Promise<unknown>]> = [
      [
        pullRef ? "pull" : "build (no registry on 127.0.0.1:5000)",
        async (signal) => {
          if (pullRef) return (await client.images.pullStream(pullRef, { signal })).done();
          return (await client.images.buildStream(endlessContext(upload), { signal, rm: true, forceRm: true, labels })).done();
        },
      ],
      ["build upload", async (signal) => (await client.images.buildStream(endlessContext(upload), { signal, rm: true, forceRm: true, labels })).done()],
      ["follow logs", async (signal) => (await client.containers.ref(busy.id).logs({ follow: true, tty: false, signal })).text()],
      [
        "exec",
        async (signal) => {
          const session = await client.containers.ref(busy.id).execStream(["cat", "/dev/zero"], { signal });
          return session.output.text();
        },
      ],
      [
        "exec with stdin",
        async (signal) => {
          const session = await client.containers.ref(busy.id).execStream(["cat"], { signal, stdin: true });
          await session.write("x".repeat(1000));
          return session.output.text();
        },
      ],
    ];

    // Warm up (negotiation, first connections), then take the baseline.
    await client.ping();
    await sleep(100);
    const socketsBaseline = activeSockets();

    const TOTAL = 1000;
    const CONCURRENCY = 20;
    let next = 0;
    async function worker(): Promise<void> {
      while (next < TOTAL) {
        const i = next++;
        const [kind, call] = kinds[i % kinds.length];
        const controller = new AbortController();
        // Abort at once, while connecting, during the upload or handshake, or mid-stream.
        const delay = [0, 1, 5, 20, 60][Math.floor(i / kinds.length) % 5];
        const timer = setTimeout(() => controller.abort(), delay);
        try {
          await call(controller.signal);
          note(kind, undefined);
        } catch (err) {
          note(kind, err);
        } finally {
          clearTimeout(timer);
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const summary = [...outcomes].map(([k, n]) => `${k} ×${n}`).sort();
    if (process.env.BERTH_RELIABILITY_VERBOSE) console.log(summary.join("\n"), upload);
    // Every failure is typed, and almost all are the abort itself.
    expect(summary.filter((s) => s.includes("UNTYPED")), summary.join("\n")).toEqual([]);
    const aborted = [...outcomes].filter(([k]) => k.endsWith("DockerAbortError")).reduce((n, [, v]) => n + v, 0);
    expect(aborted, summary.join("\n")).toBeGreaterThan(TOTAL * 0.9);
    // Each aborted upload cancelled its body stream, even when aborted before it was sent.
    const builds = [...outcomes].filter(([k]) => k.startsWith("build")).reduce((n, [, v]) => n + v, 0);
    // (The transport notices an abort mid-upload at its next read or drain: give it a moment.)
    expect(await settle(() => upload.cancelled === builds, 5_000), `${upload.cancelled} of ${builds} cancelled`).toBe(true);

    // Sockets in use are back to the baseline; idle pooled ones may remain until close().
    expect(await settle(() => activeSockets() <= socketsBaseline), `active sockets ${activeSockets()} > ${socketsBaseline}`).toBe(true);
    expect(openFds()).toBeLessThanOrEqual(fdsBefore + 64 + 8);
    await client.close();
    expect(await settle(() => openFds() <= fdsBefore + 2), `fds ${openFds()} vs ${fdsBefore} before`).toBe(true);
    await busy.remove({ force: true });
    if (pullRef) await docker.images.ref(pullRef).remove().catch(() => {});
  }, 300_000);

  /** Pushes the test image to the local registry (one fixed name: pushes are idempotent), for pulls to abort. */
  async function pushForPulls(client: Docker): Promise<string | undefined> {
    const ref = "127.0.0.1:5000/berth-reliability:pull";
    try {
      await client.images.ref(IMAGE).tag(ref);
      await client.images.ref(ref).push();
      await client.images.ref(ref).remove();
      return ref;
    } catch {
      await client.images.ref(ref).remove().catch(() => {});
      return undefined;
    }
  }
});

// ---------------------------------------------------------------------------------------------

describe("timeouts", () => {
  const { container } = useEngine();

  it("a request whose response headers never come times out with DockerTimeoutError and closes its connection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-mute-"));
    const path = join(dir, "mute.sock");
    const open = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      // Accepts and reads, never answers.
      open.add(socket);
      socket.resume();
      socket.on("close", () => open.delete(socket));
    });
    await new Promise<void>((r) => server.listen(path, r));
    const mute = new Docker({ socketPath: path, version: "1.41", timeout: 300 });
    try {
      const started = Date.now();
      const failure = await mute.containers.list().catch((e) => e);
      expect(failure).toBeInstanceOf(DockerTimeoutError);
      expect((failure as DockerTimeoutError).timeout).toBe(300);
      expect(Date.now() - started).toBeLessThan(2_000);
      // The timed-out connection is closed, not left waiting in the pool.
      expect(await settle(() => open.size === 0, 3_000)).toBe(true);
      // A per-call timeout wins over the client's.
      const t0 = Date.now();
      expect(await mute.ping({ timeout: 100 }).catch((e) => e)).toBeInstanceOf(DockerTimeoutError);
      expect(Date.now() - t0).toBeLessThan(1_000);
    } finally {
      await mute.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a quiet but alive stream outlives the timeout", async () => {
    const quick = Docker.fromEnv({ timeout: 500 });
    try {
      const c = await container({ Cmd: ["sh", "-c", "sleep 2; echo late; sleep 1; echo later"], HostConfig: NO_NETWORK });
      const client = quick.containers.ref(c.id);
      await c.start();
      const started = Date.now();
      const lines: string[] = [];
      for await (const line of (await client.logs({ follow: true, tty: false })).lines()) lines.push(line.line);
      expect(lines).toEqual(["late", "later"]);
      expect(Date.now() - started).toBeGreaterThan(2_500);
    } finally {
      await quick.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe("slow consumers", () => {
  const { container } = useEngine();

  it("reading 200 MiB of exec output at a few MB/s keeps memory bounded", async () => {
    const c = await container({ Cmd: ["sleep", "3600"], HostConfig: NO_NETWORK });
    await c.start();
    const TOTAL = 200 * 1024 * 1024;
    const RATE = 8 * 1024 * 1024; // bytes per second
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    let pauseGrowth = Infinity;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    try {
      const session = await c.execStream(["head", "-c", String(TOTAL), "/dev/zero"]);
      const started = Date.now();
      let received = 0;
      let paused = false;
      for await (const frame of session) {
        received += frame.data.length;
        if (!paused && received >= 50 * 1024 * 1024) {
          // Stop reading for two seconds: with backpressure the engine stops too, and nothing piles up here.
          paused = true;
          const before = process.memoryUsage().rss;
          await sleep(2_000);
          pauseGrowth = process.memoryUsage().rss - before;
        }
        // Sleep until the reading rate is back down to RATE.
        const ahead = received / RATE - (Date.now() - started) / 1000;
        if (ahead > 0.02) await sleep(ahead * 1000);
      }
      expect(received).toBe(TOTAL);
      expect(await session.wait()).toBe(0);
      // Slow indeed: the engine and the kernel buffers held the rest, not this process.
      expect(Date.now() - started).toBeGreaterThan((TOTAL / RATE) * 1000 * 0.9);
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - rssBefore;
    if (process.env.BERTH_RELIABILITY_VERBOSE) console.log(`slow consumer: RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB, ${(pauseGrowth / 2 ** 20).toFixed(1)} MiB during a 2 s pause`);
    expect(pauseGrowth, "RSS growth while not reading").toBeLessThan(8 * 1024 * 1024);
    expect(growth, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(64 * 1024 * 1024);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe("concurrency", () => {
  const { container } = useEngine();

  it("1,000 concurrent requests complete over a bounded pool, without running out of file descriptors", async () => {
    const c = await container({ Cmd: ["sleep", "3600"], HostConfig: NO_NETWORK });
    const client = Docker.fromEnv();
    await client.ping();
    const fdsBefore = openFds();
    const socketsBefore = activeSockets();
    let peakFds = fdsBefore;
    let peakSockets = socketsBefore;
    const sampler = setInterval(() => {
      peakFds = Math.max(peakFds, openFds());
      peakSockets = Math.max(peakSockets, activeSockets());
    }, 2);
    try {
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          i % 2 === 0 ? client.containers.get(c.id).then((x) => x.id) : client.ping(),
        ),
      );
      expect(results.filter((r, i) => (i % 2 === 0 ? r === c.id : r === "OK"))).toHaveLength(1000);
    } finally {
      clearInterval(sampler);
      await client.close();
    }
    if (process.env.BERTH_RELIABILITY_VERBOSE) console.log(`concurrency: peak ${peakSockets - socketsBefore} sockets, ${peakFds - fdsBefore} fds above baseline`);
    // maxSockets defaults to 64: the rest waited in the queue.
    expect(peakSockets - socketsBefore).toBeLessThanOrEqual(64);
    expect(peakFds - fdsBefore).toBeLessThanOrEqual(64 + 8);
    expect(await settle(() => openFds() <= fdsBefore + 2)).toBe(true);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe("hostile names", () => {
  const { docker, container, labels, run: runId } = useEngine();
  const hostile = ["a/b", "../images/json", "..", ".", "x?y", "x#y", "a%2Fb", "100%", "with space", "café", "日本", "a/../b", "%2e%2e", "json?all=1", "x/../../info"];

  it("reach exactly the endpoint meant: every character is percent-encoded into one path segment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-names-"));
    const path = join(dir, "s.sock");
    const targets: string[] = [];
    const server = net.createServer((socket) => {
      socket.once("data", (d) => {
        targets.push(d.toString("latin1").split(" ")[1]);
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"message":"nope"}\r\n');
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    const fake = new Docker({ socketPath: path, version: "1.41" });
    try {
      for (const name of hostile) {
        const before = targets.length;
        const failure = await fake.containers.get(name).catch((e) => e);
        expect(failure, name).toBeInstanceOf(DockerNotFoundError);
        if (name === "." || name === "..") {
          expect(targets.length, `${name} is refused without a request`).toBe(before);
        } else {
          expect(targets[targets.length - 1]).toBe(`/v1.41/containers/${encodeURIComponent(name)}/json`);
        }
      }
    } finally {
      await fake.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lookups of hostile names fail as not found on the real engine, for containers, images, volumes and networks", async () => {
    for (const name of hostile) {
      for (const [what, lookup] of [
        ["container", () => docker.containers.get(name)],
        ["image", () => docker.images.get(name)],
        ["volume", () => docker.volumes.get(name)],
        ["network", () => docker.networks.get(name)],
      ] as const) {
        const failure = await (lookup as () => Promise<unknown>)().catch((e) => e);
        // An image name that is no valid reference is refused as such (400); nothing else answers.
        const allowed = what === "image" ? [DockerNotFoundError, DockerBadRequestError] : [DockerNotFoundError];
        expect(allowed.some((C) => failure instanceof C), `${what} ${JSON.stringify(name)}: ${String(failure)}`).toBe(true);
      }
    }
  });

  it("networks named with / ? # % spaces and unicode round-trip; one named a/../b is not reachable by name", async () => {
    const names = ["x?y", "a%2Fb", "a/b", "with space", "x#y", "100%", "café", "日本", "..x", "a/../b"].map((n) => `${n}-${runId}`);
    const created = [];
    try {
      for (const name of names) {
        // ConfigOnly: a network that creates nothing on the host (no bridge interface).
        const network = await docker.networks.create({ Name: name, ConfigOnly: true, Labels: labels });
        created.push(network);
        if (name.startsWith("a/../b")) {
          expect(await docker.networks.get(name).catch((e) => e), name).toBeInstanceOf(DockerNotFoundError);
          expect((await docker.networks.get(network.id)).name).toBe(name);
        } else {
          const found = await docker.networks.get(name);
          expect(found.id).toBe(network.id);
          expect(found.name).toBe(name);
        }
      }
    } finally {
      for (const network of created) await network.remove().catch(() => {});
    }
    for (const network of created) expect(await docker.networks.get(network.id).catch((e) => e)).toBeInstanceOf(DockerNotFoundError);
  });

  it("volumes, containers and images with the punctuation the engine allows round-trip", async () => {
    const volumeName = `a..b_c-d.${runId}`;
    const volume = await docker.volumes.create({ Name: volumeName, Labels: labels });
    try {
      expect((await docker.volumes.get(volumeName)).name).toBe(volumeName);
    } finally {
      await volume.remove();
    }
    expect(await docker.volumes.get(volumeName).catch((e) => e)).toBeInstanceOf(DockerNotFoundError);

    const containerName = `x..y_z-${runId}`;
    const c = await container({ Cmd: ["true"], HostConfig: NO_NETWORK }, containerName);
    expect((await docker.containers.get(containerName)).id).toBe(c.id);
    // The leading slash of `Names` is dropped by containers.get/ref, so that form finds it too.
    expect((await docker.containers.get(`/${containerName}`)).id).toBe(c.id);
    // A name that still produces `//` in the path makes the engine redirect: berth never follows,
    // it fails as not found and never reaches another endpoint.
    expect(await docker.containers.get(`//${containerName}`).catch((e) => e)).toBeInstanceOf(DockerNotFoundError);

    const repo = `berth-reliability/a/b.c_d-${runId}`;
    await docker.images.ref(IMAGE).tag(repo, "t.1");
    try {
      const image = await docker.images.get(`${repo}:t.1`);
      expect(image.tags).toContain(`${repo}:t.1`);
      expect((await docker.images.get(`${repo}:t.1`)).id).toBe((await docker.images.get(IMAGE)).id);
    } finally {
      await docker.images.ref(`${repo}:t.1`).remove();
    }
    expect(await docker.images.get(`${repo}:t.1`).catch((e) => e)).toBeInstanceOf(DockerNotFoundError);
  });
});
