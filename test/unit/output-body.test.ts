// OutputStream read straight from a response body (logs, exec, attach): iteration and collection
// decode the body's chunks in place, with no demultiplexing stream in between. These prove that
// path gives exactly the bytes, order and text of the frames, whatever the chunking.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerStreamError } from "../../src/errors/errors.ts";
import { OutputStream, type Frame } from "../../src/streams/output.ts";
import { TextCollector, growsInPlace } from "../../src/streams/text-collector.ts";
import { concat, frame } from "./frames.ts";
import { chunked } from "./fuzz-helpers.ts";

const enc = new TextEncoder();

/** A body delivering `bytes` cut at `cuts`; records whether it was cancelled. */
function body(bytes: Uint8Array, cuts: number[] = []) {
  const chunks = chunked(bytes, cuts, { distinct: true });
  const state = { cancelled: false };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

const framesArb = fc.array(
  fc.record({
    type: fc.constantFrom(0, 1, 2),
    payload: fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 4000, maxLength: 20000 }) },
    ),
  }),
  { maxLength: 30 },
);
const cutsArb = fc.array(fc.nat(), { maxLength: 10 });

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("OutputStream of a body", () => {
  it("iterates exactly the bytes of each stream, in order, for any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, cutsArb, async (frames, cuts) => {
        const bytes = concat(frames.map((f) => frame(f.type, f.payload)));
        const got: Frame[] = [];
        for await (const f of OutputStream.ofBody(body(bytes, cuts).stream, true)) got.push({ stream: f.stream, data: f.data.slice() });
        // Runs of one stream, as the engine wrote them (frame boundaries carry no meaning).
        const runs = (list: Array<{ stream: string; data: Uint8Array }>) => {
          const out: Array<[string, string]> = [];
          for (const f of list) {
            if (f.data.length === 0) continue;
            const last = out[out.length - 1];
            if (last && last[0] === f.stream) last[1] += hex(f.data);
            else out.push([f.stream, hex(f.data)]);
          }
          return out;
        };
        expect(runs(got)).toEqual(runs(frames.map((f) => ({ stream: f.type === 2 ? "stderr" : "stdout", data: f.payload }))));
      }),
      { numRuns: 80 },
    );
  });

  it("collects each stream's bytes exactly, for any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, cutsArb, async (frames, cuts) => {
        const bytes = concat(frames.map((f) => frame(f.type, f.payload)));
        const { stdout, stderr } = await OutputStream.ofBody(body(bytes, cuts).stream, true).bytes();
        expect(hex(stdout)).toBe(frames.filter((f) => f.type !== 2).map((f) => hex(f.payload)).join(""));
        expect(hex(stderr)).toBe(frames.filter((f) => f.type === 2).map((f) => hex(f.payload)).join(""));
      }),
      { numRuns: 80 },
    );
  });

  it("decodes multi-byte characters split across frames and chunks in collect() and text()", async () => {
    const out = enc.encode("é€😀 ok");
    const err = enc.encode("ß😀");
    // Every character cut between frames: one byte per frame, stdout and stderr interleaved.
    const frames: Uint8Array[] = [];
    for (let i = 0; i < Math.max(out.length, err.length); i++) {
      if (i < out.length) frames.push(frame(1, out.subarray(i, i + 1)));
      if (i < err.length) frames.push(frame(2, err.subarray(i, i + 1)));
    }
    const bytes = concat(frames);
    for (const cuts of [[], [3], [9, 10, 11, 30], Array.from({ length: bytes.length }, (_, i) => i)]) {
      expect(await OutputStream.ofBody(body(bytes, cuts).stream, true).collect()).toEqual({ stdout: "é€😀 ok", stderr: "ß😀" });
      // text() interleaves in arrival order: only stdout here, so the characters stay whole.
      const outOnly = concat(Array.from(out, (b) => frame(1, Uint8Array.of(b))));
      expect(await OutputStream.ofBody(body(outOnly, cuts).stream, true).text()).toBe("é€😀 ok");
    }
  });

  it("decodes characters cut by the 1 MiB decode blocks, in 4 KiB frames and in one large frame", async () => {
    for (const lead of [1024 * 1024 - 1, 1024 * 1024 - 2, 16 * 1024 - 1, 64 * 1024 - 3]) {
      const text = "a".repeat(lead) + "€😀".repeat(3) + "b".repeat(5000) + "é";
      const bytes = enc.encode(text);
      const frames: Uint8Array[] = [];
      for (let o = 0; o < bytes.length; o += 4096) frames.push(frame(1, bytes.subarray(o, o + 4096)));
      const { stdout } = await OutputStream.ofBody(body(concat(frames), [70000, 1500000]).stream, true).collect();
      expect(stdout === text).toBe(true);
      const whole = await OutputStream.ofBody(body(concat([frame(2, bytes.subarray(0, 5)), frame(2, bytes.subarray(5))])).stream, true).collect();
      expect(whole.stderr === text).toBe(true);
      expect((await OutputStream.ofBody(body(concat(frames), [4099]).stream, true).text()) === text).toBe(true);
    }
  });

  it("decodes in blocks exactly as one decode of all the bytes, valid UTF-8 or not", () => {
    // Bytes biased towards UTF-8 lead and continuation bytes, BOMs and valid text; tiny blocks so
    // that every cut position is met.
    const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x80, 0xbf, 0xc3, 0xe2, 0xef, 0xbb, 0xf0, 0x9f, 0xf4, 0xff, 0x41));
    const textArb = fc.string({ unit: "binary", maxLength: 20 }).map((t) => Array.from(enc.encode(t)));
    const bytesArb = fc.array(fc.oneof(byteArb.map((b) => [b]), textArb, fc.constant([0xef, 0xbb, 0xbf])), { maxLength: 40 }).map((parts) => Uint8Array.from(parts.flat()));
    // `inPlaceFrom` at 0 or Infinity: buffers grown in place (resizable) from the start, or copied
    // (as where ArrayBuffers are not resizable); a block of 2^40 bytes cannot be reserved, so the
    // collector falls back to copied blocks.
    const inPlaceArb = fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 24 }));
    const blockArb = fc.oneof(fc.integer({ min: 4, max: 40 }), fc.constant(1 << 20), fc.constant(2 ** 40));
    fc.assert(
      fc.property(bytesArb, fc.integer({ min: 4, max: 9 }), blockArb, inPlaceArb, cutsArb, (bytes, first, block, inPlaceFrom, cuts) => {
        const collector = new TextCollector(first, block, inPlaceFrom);
        let prev = 0;
        for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
          collector.add(bytes.subarray(prev, cut));
          prev = cut;
        }
        collector.add(bytes.subarray(prev));
        expect(collector.finish()).toBe(new TextDecoder().decode(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it("lines() of any bytes, split anywhere, are the lines of one decode of each stream", async () => {
    // Invalid and cut UTF-8, CRs, BOMs and newlines in frames of both streams: each line decoded
    // apart (partial lines held from piece to piece) equals splitting one decode of the stream.
    const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0a, 0x0a, 0x0d, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xc3, 0xef, 0xbb, 0xbf, 0x41));
    const framesOfBytes = fc.array(fc.record({ type: fc.constantFrom(1, 2), bytes: fc.uint8Array({ maxLength: 40 }).chain((b) => fc.array(byteArb, { maxLength: 40 }).map((x) => Uint8Array.from([...b.subarray(0, 3), ...x]))) }), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(framesOfBytes, cutsArb, async (frames, cuts) => {
        const bytes = concat(frames.map((f) => frame(f.type, f.bytes)));
        const got: string[][] = [[], []];
        for await (const l of OutputStream.ofBody(body(bytes, cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)).stream, true).lines()) got[l.stream === "stdout" ? 0 : 1].push(l.line);
        for (const type of [1, 2]) {
          const lines = new TextDecoder().decode(concat(frames.filter((f) => f.type === type).map((f) => f.bytes))).split("\n");
          if (lines[lines.length - 1] === "") lines.pop();
          expect(got[type - 1]).toEqual(lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)));
        }
      }),
      { numRuns: 1500 },
    );
    // A U+FEFF starting a line is text; only the one opening a stream is a byte order mark.
    const bom = concat([frame(1, enc.encode("\uFEFFa\n")), frame(1, enc.encode("\uFEFFb\n\uFEFFc"))]);
    for (const cuts of [[], [14], [14, 25]]) {
      const got: string[] = [];
      for await (const l of OutputStream.ofBody(body(bom, cuts).stream, true).lines()) got.push(l.line);
      expect(got).toEqual(["a", "\uFEFFb", "\uFEFFc"]);
    }
  });

  it("grows the buffer in place where ArrayBuffers are resizable, and lets it go with the text", () => {
    expect(growsInPlace).toBe(typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === "function");
    const text = "é€😀 ".repeat(100_000);
    const bytes = enc.encode(text);
    const collector = new TextCollector(16, 4 * 1024 * 1024, 64);
    for (let o = 0; o < bytes.length; o += 4093) collector.add(bytes.subarray(o, o + 4093));
    expect(collector.finish() === text).toBe(true);
    // A failed collection lets its buffer go; the collector is then empty.
    const failed = new TextCollector(16, 4 * 1024 * 1024, 64);
    failed.add(bytes);
    failed.discard();
    expect(failed.finish()).toBe("");
  });

  it("passes a TTY body through as stdout", async () => {
    const { stream } = body(enc.encode("a\r\nb€"), [1, 4]);
    expect(await OutputStream.ofBody(stream, false).collect()).toEqual({ stdout: "a\r\nb€", stderr: "" });
  });

  it("fails collection with the daemon's error and releases the body", async () => {
    // Cut after the error frame too: the body is still open when the error is read (a body that has
    // already ended has nothing left to release).
    const b = body(concat([frame(1, "before"), frame(3, "container is gone\n"), frame(1, "after")]), [5, 14 + 26]);
    const error = await OutputStream.ofBody(b.stream, true).collect().catch((e) => e);
    expect(error).toBeInstanceOf(DockerStreamError);
    expect(error.message).toBe("container is gone");
    expect(b.state.cancelled).toBe(true);
  });

  it("reports a body that ends inside a frame, iterating or collecting", async () => {
    const bytes = frame(1, "truncated");
    await expect(OutputStream.ofBody(body(bytes.subarray(0, 12)).stream, true).collect()).rejects.toThrow(/stream ended inside a frame/);
    await expect(
      (async () => {
        for await (const _ of OutputStream.ofBody(body(bytes.subarray(0, 5)).stream, true));
      })(),
    ).rejects.toThrow(DockerStreamError);
  });

  it("cancel() ends a running loop without error and cancels the body", async () => {
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(frame(1, "tick\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const output = OutputStream.ofBody(endless, true);
    let seen = 0;
    for await (const _ of output) if (++seen === 3) void output.cancel();
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(cancelled).toBe(true);
    // Breaking out of a loop cancels too.
    let cancelled2 = false;
    const endless2 = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(frame(2, "x")),
      cancel: () => void (cancelled2 = true),
    });
    for await (const f of OutputStream.ofBody(endless2, true)) if (f.stream === "stderr") break;
    expect(cancelled2).toBe(true);
  });

  it("cancel() in the middle of a frame ends the loop without a truncation error", async () => {
    // Each chunk ends inside a frame: the output is cut where it stands, not reported as truncated.
    const whole = frame(1, "tick tock\n"); // 18 bytes, read 25 at a time
    const endless = () => {
      let at = 0;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          c.enqueue(Uint8Array.from({ length: 25 }, (_, k) => whole[(at + k) % whole.length]));
          at += 25;
        },
      });
    };
    for (const read of ["frames", "lines"] as const) {
      const output = OutputStream.ofBody(endless(), true);
      let seen = 0;
      const run = async () => {
        if (read === "frames") for await (const _ of output) { if (++seen === 2) void output.cancel(); }
        else for await (const _ of output.lines()) { if (++seen === 2) void output.cancel(); }
      };
      await expect(run()).resolves.toBeUndefined();
      expect(seen).toBeGreaterThanOrEqual(2);
    }
  });

  it("still offers the frames as a readable for piping", async () => {
    const b = body(concat([frame(1, "a"), frame(2, "b")]));
    const reader = OutputStream.ofBody(b.stream, true).readable.getReader();
    const got: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(`${value.stream}:${new TextDecoder().decode(value.data)}`);
    }
    expect(got).toEqual(["stdout:a", "stderr:b"]);
  });
});

describe("lines() as a generator", () => {
  it("has next, return, throw and, where the runtime has the symbol, asyncDispose, which releases the body", async () => {
    let cancelled = false;
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (!sent) {
          sent = true;
          c.enqueue(frame(1, "a\nb\n"));
        }
      },
      cancel() {
        cancelled = true;
      },
    });
    const lines = OutputStream.ofBody(body, true).lines();
    expect(typeof lines.next).toBe("function");
    expect(typeof lines.throw).toBe("function");
    expect(lines[Symbol.asyncIterator]()).toBe(lines);
    expect((await lines.next()).value?.line).toBe("a");
    const dispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
    expect(dispose).toBeTypeOf("symbol"); // Node 20+, Bun and Deno have it
    await (lines as unknown as Record<symbol, () => Promise<void>>)[dispose!]!();
    expect(cancelled).toBe(true);
    expect((await lines.next()).done).toBe(true);
  });
});
