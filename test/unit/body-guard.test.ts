// One stream hop per response body on fetch runtimes (src/streams/guard.ts): the fetch transport's
// error mapping and the request engine's deadline share one wrapper, in the order nested wrappers
// ran; and collectBytes' byte limit, which both the engine and the fetch transport read values with.
import { describe, expect, it } from "vitest";
import { Client } from "../../src/request/engine.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";
import { guardBody } from "../../src/streams/guard.ts";
import { collectBytes } from "../../src/streams/bytes.ts";
import { DockerAbortError, DockerConnectionError, DockerStreamError, DockerTimeoutError } from "../../src/errors/errors.ts";
import type { Transport, TransportRequest, TransportResponse } from "../../src/transport/transport.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

/** A source of `pieces`, then (if given) a failure; counts its reads and notes a cancel. */
function source(pieces: string[], failure?: unknown) {
  const seen = { reads: 0, cancelled: undefined as unknown };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.reads++;
        if (i < pieces.length) controller.enqueue(bytes(pieces[i++]!));
        else if (failure !== undefined) controller.error(failure);
        else controller.close();
      },
      cancel(reason) {
        seen.cancelled = reason ?? "cancelled";
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return text(await collectBytes(stream));
}

describe("guardBody", () => {
  it("maps a read failure through each guard in the order they were added, ending each first", async () => {
    const log: string[] = [];
    const { stream } = source(["a"], new Error("reset"));
    const inner = guardBody(stream, { error: (e) => (log.push(`inner ${(e as Error).message}`), new Error("mapped")), end: (clean) => void log.push(`inner end ${clean}`) });
    const outer = guardBody(inner, { error: (e) => (log.push(`outer ${(e as Error).message}`), new Error("final")), end: (clean) => void log.push(`outer end ${clean}`) });
    expect(outer).toBe(inner); // joined: one wrapper
    await expect(readAll(outer)).rejects.toThrow("final");
    expect(log).toEqual(["inner end false", "inner reset", "outer end false", "outer mapped"]);
  });

  it("the end hooks run in order at the end; a failing one is mapped only by the guards after it", async () => {
    const log: string[] = [];
    const { stream, seen } = source(["he", "llo"]);
    const inner = guardBody(stream, {
      error: () => new Error("inner must not map its own end"),
      end: async (clean) => {
        log.push(`inner end ${clean}`);
        throw new Error("engine gone");
      },
    });
    const outer = guardBody(inner, { error: (e) => new Error(`outer: ${(e as Error).message}`), end: (clean) => void log.push(`outer end ${clean}`) });
    await expect(readAll(outer)).rejects.toThrow("outer: engine gone");
    expect(log).toEqual(["inner end true", "outer end false"]);
    expect(seen.reads).toBe(3); // two pieces and the end: no read-ahead, no second hop

    const ok = source(["x"]);
    const ends: boolean[] = [];
    const guarded = guardBody(guardBody(ok.stream, { end: async (clean) => void ends.push(clean) }), { end: (clean) => void ends.push(clean) });
    expect(await readAll(guarded)).toBe("x");
    expect(ends).toEqual([true, true]);
  });

  it("cancelling ends every guard, not clean, and cancels the source with the reason", async () => {
    const ends: string[] = [];
    const { stream, seen } = source(["a", "b"]);
    const guarded = guardBody(guardBody(stream, { end: (clean) => void ends.push(`inner ${clean}`) }), { end: (clean) => void ends.push(`outer ${clean}`) });
    const reader = guarded.getReader();
    expect(text((await reader.read()).value)).toBe("a");
    await reader.cancel("enough");
    expect(ends).toEqual(["outer false", "inner false"]);
    expect(seen.cancelled).toBe("enough");
  });

  it("a guarded body already read from gets a wrapper of its own", async () => {
    const { stream } = source(["a", "b"]);
    const inner = guardBody(stream, {});
    const reader = inner.getReader();
    await reader.read();
    reader.releaseLock();
    const outer = guardBody(inner, { error: () => new Error("outer") });
    expect(outer).not.toBe(inner);
    expect(await readAll(outer)).toBe("b");
  });
});

describe("collectBytes with a limit", () => {
  it("reads to the end under the limit, calling progress for each piece", async () => {
    let progress = 0;
    expect(text(await collectBytes(source(["ab", "cd"]).stream, { maxBytes: 4, progress: () => progress++ }))).toBe("abcd");
    expect(progress).toBe(2);
  });

  it("past the limit: undefined, or the first maxBytes bytes when truncating; the stream is cancelled", async () => {
    const over = source(["ab", "cd", "ef"]);
    expect(await collectBytes(over.stream, { maxBytes: 3 })).toBeUndefined();
    expect(over.seen.cancelled).toBeDefined();
    const cut = source(["ab", "cd", "ef"]);
    expect(text(await collectBytes(cut.stream, { maxBytes: 3, truncate: true }))).toBe("abc");
    expect(cut.seen.cancelled).toBeDefined();
  });

  it("a failed read rejects with the failure and cancels the stream", async () => {
    const failing = source(["ab"], new Error("cut"));
    await expect(collectBytes(failing.stream, { maxBytes: 10 })).rejects.toThrow("cut");
  });
});

/**
 * A FetchTransport on a fetch that answers from memory: the body is `body()` (given the request's
 * signal, which errors the body as fetch does when aborted). The transport's own answers are kept.
 */
function memoryEngine(body: (signal: AbortSignal) => ReadableStream<Uint8Array> | string) {
  // (JSON: a body without a length, chunks or this type would be confirmed with a ping at its end.)
  const headers = { "content-type": "application/json" };
  const answers: TransportResponse[] = [];
  const fetch = async (_input: unknown, init?: RequestInit) => new Response(body(init!.signal!), { status: 200, headers });
  const inner = new FetchTransport("http://engine.test", { fetch: fetch as typeof globalThis.fetch });
  const transport: Transport = {
    address: inner.address,
    request: async (req: TransportRequest) => {
      const answer = await inner.request(req);
      answers.push(answer);
      return answer;
    },
  };
  return { client: new Client({ transport, version: "1.41" }), answers };
}

/** A body that sends a piece every `ms` (forever, or never if `ms` is 0), and fails when `signal` aborts. */
function abortable(signal: AbortSignal, ms: number, seen: { cancelled: boolean }): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setInterval> | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (ms > 0) timer = setInterval(() => controller.enqueue(bytes("{}\n")), ms);
      signal.addEventListener("abort", () => {
        clearInterval(timer);
        controller.error(signal.reason);
      });
    },
    cancel() {
      clearInterval(timer);
      seen.cancelled = true;
    },
  });
}

describe("the request engine's deadline on a FetchTransport body", () => {
  it("joins the transport's wrapper: the body the engine hands on is the transport's own", async () => {
    const { client, answers } = memoryEngine(() => "{}\n");
    const response = await client.send({ method: "GET", path: "/events", stream: true, signal: new AbortController().signal });
    expect(response.body).toBe(answers[0]!.body);
    expect(await readAll(response.body!)).toBe("{}\n");
  });

  it("a deadline bounds a stream that keeps sending, and one that stalls: DockerTimeoutError (deadline)", async () => {
    for (const ms of [10, 0]) {
      const seen = { cancelled: false };
      const { client } = memoryEngine((signal) => abortable(signal, ms, seen));
      const response = await client.send({ method: "GET", path: "/events", stream: true, deadline: 150 });
      const err = await readAll(response.body!).catch((e: unknown) => e);
      expect(err, `every ${ms} ms`).toBeInstanceOf(DockerTimeoutError);
      expect((err as DockerTimeoutError).phase).toBe("deadline");
      expect((err as Error).message).toBe("GET /events did not complete within its deadline of 150 ms");
    }
  });

  it("the caller's abort while the body streams is a DockerAbortError", async () => {
    const seen = { cancelled: false };
    const { client } = memoryEngine((signal) => abortable(signal, 10, seen));
    const controller = new AbortController();
    const response = await client.send({ method: "GET", path: "/events", stream: true, signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    const err = await (async () => { for (;;) if ((await reader.read()).done) return; })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerAbortError);
  });

  it("a connection cut mid-body is a DockerConnectionError with the transport's message", async () => {
    const { client } = memoryEngine(() => source(["{}\n"], new TypeError("terminated")).stream);
    const response = await client.send({ method: "GET", path: "/events", stream: true, signal: new AbortController().signal });
    const err = await readAll(response.body!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerConnectionError);
    expect((err as DockerConnectionError).code).toBe("ECONNRESET");
    expect((err as Error).message).toMatch(/closed before the response ended \(terminated\)/);
  });

  it("cancelling the body cancels fetch's body (the connection is released)", async () => {
    const seen = { cancelled: false };
    const { client } = memoryEngine((signal) => abortable(signal, 10, seen));
    const response = await client.send({ method: "GET", path: "/events", stream: true, deadline: 60_000 });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(seen.cancelled).toBe(true);
  });

  it("a value is read straight from fetch's body; an oversized one is a DockerStreamError, a cut one a DockerConnectionError", async () => {
    const answer = source(['{"a":', "1}"]);
    const { client } = memoryEngine(() => answer.stream);
    expect(await client.json({ method: "GET", path: "/info" })).toEqual({ a: 1 });
    expect(answer.seen.reads).toBe(3);

    const big = source(["x".repeat(600), "x".repeat(600)]);
    const limited = new Client({ transport: memoryEngine(() => big.stream).client.transport, version: "1.41", maxBodyBytes: 1000 });
    const err = await limited.json({ method: "GET", path: "/info" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect((err as Error).message).toBe("GET /info: the engine's answer is larger than 1000 bytes (maxBodyBytes)");
    expect(big.seen.cancelled).toBeDefined();

    const cut = memoryEngine(() => source(['{"a":'], new TypeError("terminated")).stream).client;
    const failure = await cut.json({ method: "GET", path: "/info" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DockerConnectionError);
    expect((failure as Error).message).toMatch(/closed before the response ended/);
  });
});
