// JsonStream (events, stats, progress) iterated straight from the body: the same values, the same
// error order and the same cancellation as its `readable` form.

import { describe, expect, it } from "vitest";
import { DockerStreamError, JsonStream } from "../../src/index.ts";

const body = (...chunks: string[]) => {
  const encoder = new TextEncoder();
  let cancelled: unknown = "not cancelled";
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks.shift();
      if (next === undefined) return new Promise(() => {}); // an open stream, like a followed one
      c.enqueue(encoder.encode(next));
    },
    cancel(reason) {
      cancelled = reason;
    },
  }, { highWaterMark: 0 });
  return { stream, cancelled: () => cancelled };
};

describe("JsonStream", () => {
  it("yields values split across chunks, several per chunk, in order", async () => {
    const { stream } = body('{"a":1}\n{"a":', '2}\n\n{"a":3}\r\n', '{"a":4}\n');
    const out: unknown[] = [];
    const s = new JsonStream<{ a: number }>(stream);
    for await (const v of s) {
      out.push(v);
      if (out.length === 4) break;
    }
    expect(out).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]);
  });

  it("raises an in-band error after the values before it in the same chunk, and cancels the body", async () => {
    const { stream, cancelled } = body('{"status":"a"}\n{"status":"b"}\n{"error":"boom","errorDetail":{"message":"boom"}}\n');
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const v of new JsonStream(stream)) seen.push(v);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ status: "a" }, { status: "b" }]);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect((err as Error).message).toContain("boom");
    await Promise.resolve();
    expect(cancelled()).toBe(err);
  });

  it("cancel() ends a loop waiting for the next value, without an error", async () => {
    const { stream, cancelled } = body('{"n":1}\n');
    const s = new JsonStream(stream);
    const seen: unknown[] = [];
    const loop = (async () => {
      for await (const v of s) {
        seen.push(v);
        void s.cancel("enough");
      }
    })();
    await loop;
    expect(seen).toEqual([{ n: 1 }]);
    expect(cancelled()).toBe("enough");
  });

  it("still offers the values as a ReadableStream", async () => {
    const { stream } = body('{"n":1}\n{"n":2}\n');
    const reader = new JsonStream(stream).readable.getReader();
    expect((await reader.read()).value).toEqual({ n: 1 });
    expect((await reader.read()).value).toEqual({ n: 2 });
  });
});
