// Real build sessions, replayed: the bytes Docker Engine 20.10 and 23.0 sent on the hijacked
// POST /session (recorded once by scripts/capture-session-frames.ts into test/fixtures/session/)
// go into the Node session host (adapters/node-session.ts: the duplex bridge, node:http2) and
// berth's gRPC server with the session's services, as they would from the engine. Then the same
// bytes truncated, corrupted and cut into random chunks: every connection must close (the engine's
// EOF ends the session), with nothing thrown, no rejection unhandled and no call left open.
import { readFileSync, readdirSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { connectUnix, serveHttp2 } from "../../adapters/node-session.ts";
import type { SessionHost } from "../../src/buildkit/session/host.ts";
import { addHealth, addSecrets, addSsh, type Services } from "../../src/buildkit/session/services.ts";
import { serveCall } from "../../src/grpc/server.ts";
import type { Duplex } from "../../src/transport/transport.ts";
import { FIXTURE_SECRET } from "../fixtures/session/secret.ts";
import { HANG, RUNS, chunked, concat, cutsArb } from "./fuzz-helpers.ts";

const dir = new URL("../fixtures/session/", import.meta.url);
const fixtures = readdirSync(dir)
  .filter((name) => name.endsWith(".json"))
  .map((name) => {
    const json = JSON.parse(readFileSync(new URL(name, dir), "utf8")) as { engine: string; sessions: string[][] };
    return { name, engine: json.engine, sessions: json.sessions.map((chunks) => chunks.map((c) => new Uint8Array(Buffer.from(c, "base64")))) };
  });

// A stand-in agent: answers every request with SSH_AGENT_FAILURE (the replayed requests are the
// recorded ones; what matters here is that each ForwardAgent call reaches it and ends).
let agentPath = "";
let agentConnections = 0;
const agent = net.createServer((socket) => {
  agentConnections++;
  socket.on("error", () => {});
  socket.on("data", () => socket.write(Uint8Array.from([0, 0, 0, 1, 5])));
  socket.on("end", () => socket.end());
});
beforeAll(async () => {
  agentPath = join(tmpdir(), `berth-replay-agent-${process.pid}.sock`);
  await new Promise<void>((resolve) => agent.listen(agentPath, resolve));
});
afterAll(() => new Promise<void>((resolve) => agent.close(() => resolve())));

const host: SessionHost = { serveHttp2, connectUnix, readFile: async () => new Uint8Array(0), env: () => undefined };

function services(): Services {
  const out: Services = new Map();
  addHealth(out);
  addSecrets(out, new Map([["token", FIXTURE_SECRET]]), host);
  addSsh(out, new Map([["default", agentPath]]), host);
  return out;
}

interface Replayed {
  calls: Array<{ path: string; status?: string }>;
  written: Uint8Array;
}

/** Feeds the chunks to the session host as the engine's side of the connection, then EOF. */
async function replay(chunks: Uint8Array[]): Promise<Replayed> {
  const written: Uint8Array[] = [];
  const calls: Replayed["calls"] = [];
  const pending: Promise<void>[] = [];
  // The engine's EOF comes once the calls have ended (as it does: the build is done by then), or
  // a moment after the last byte when one waits for more (a truncated request).
  let open = 0;
  let i = 0;
  const readable = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (i < chunks.length) return c.enqueue(chunks[i++]!);
      for (let quiet = 0, waited = 0; quiet < 2 && waited < 300; waited += 25) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        quiet = open === 0 ? quiet + 1 : 0;
      }
      c.close();
    },
  });
  const connection: Duplex = {
    readable,
    writable: new WritableStream({ write: (chunk) => void written.push(chunk.slice()) }),
    close: () => {},
  };
  const handlers = services();
  const served = await serveHttp2(connection, (stream) => {
    const call: Replayed["calls"][number] = { path: stream.path };
    calls.push(call);
    const end = stream.end.bind(stream);
    stream.end = (trailers) => {
      call.status = trailers["grpc-status"];
      end(trailers);
    };
    open++;
    pending.push(serveCall(stream, handlers).finally(() => open--));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("the session did not close after the engine's EOF")), HANG)));
  try {
    await Promise.race([served.closed, hang]);
    // Every call ends once the connection has gone (its stream is closed under it).
    await Promise.race([Promise.all(pending), hang]);
  } finally {
    clearTimeout(timer);
  }
  return { calls, written: concat(written) };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe("recorded build sessions, replayed into the Node session host", () => {
  it("the fixtures hold sessions of both engines", () => {
    expect(fixtures.map((f) => f.engine).join("; ")).toMatch(/20\.10.*; .*23\.0/);
  });

  for (const fixture of fixtures) {
    it(`${fixture.engine}: GetSecret, CheckAgent and ForwardAgent are answered, and the session closes at EOF`, async () => {
      const before = agentConnections;
      const results = [];
      for (const session of fixture.sessions) results.push(await replay(session));
      const build = results.find((r) => r.calls.length > 0)!;
      const byPath = (suffix: string) => build.calls.filter((c) => c.path.endsWith(suffix));
      expect(byPath("/GetSecret").map((c) => c.status)).toEqual(["0"]);
      expect(byPath("/CheckAgent").map((c) => c.status)).toEqual(["0"]);
      // One ForwardAgent per agent connection the build opened: ssh-add -l, then ssh-keygen -Y sign.
      expect(byPath("/ForwardAgent").map((c) => c.status)).toEqual(["0", "0"]);
      expect(agentConnections - before).toBe(2);
      expect(contains(build.written, new TextEncoder().encode(FIXTURE_SECRET)), "the secret went back in a DATA frame").toBe(true);
      // An HTTP/2 server's first bytes: its SETTINGS frame (type 4 on stream 0).
      expect(build.written[3]).toBe(4);
    });
  }

  it("truncated, corrupted and re-chunked sessions always close, never throw and leave no call open", async () => {
    const sessions = fixtures.flatMap((f) => f.sessions.map(concat)).filter((bytes) => bytes.length > 100);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: sessions.length - 1 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        cutsArb,
        async (which, cut, flips, cuts) => {
          const whole = sessions[which]!;
          const bytes = whole.slice(0, cut % (whole.length + 1));
          for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
          const { calls } = await replay(chunked(bytes, cuts));
          for (const call of calls) expect(call.status, call.path).toMatch(/^\d+$/);
        },
      ),
      { numRuns: Math.min(RUNS, 40), timeout: HANG * 2 },
    );
  }, 120_000);

  it("garbage instead of the HTTP/2 preface ends the session", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), cutsArb, async (bytes, cuts) => {
        const { calls } = await replay(chunked(bytes, cuts));
        expect(calls).toEqual([]);
      }),
      { numRuns: 50, timeout: HANG * 2 },
    );
  }, 60_000);
});
