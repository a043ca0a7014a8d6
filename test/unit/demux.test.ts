import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerStreamError } from "../../src/errors/errors.ts";
import {
  FrameDecoder,
  demuxStream,
  isMultiplexed,
  rawStream,
  type Frame,
  type StreamName,
} from "../../src/streams/demux.ts";
import { concat, frame, sourceOf } from "./frames.ts";
import { chunked } from "./fuzz-helpers.ts";

/** Frame boundaries carry no meaning: compare the per-stream runs of bytes, in order. */
function normalize(frames: Array<{ stream: StreamName; data: Uint8Array }>): Array<{ stream: StreamName; hex: string }> {
  const out: Array<{ stream: StreamName; parts: Uint8Array[] }> = [];
  for (const f of frames) {
    if (f.data.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.stream === f.stream) last.parts.push(f.data);
    else out.push({ stream: f.stream, parts: [f.data] });
  }
  return out.map((r) => ({ stream: r.stream, hex: Buffer.from(concat(r.parts)).toString("hex") }));
}

function decodeAll(chunks: Uint8Array[]): Array<{ stream: StreamName; data: Uint8Array }> {
  const decoder = new FrameDecoder();
  const out: Array<{ stream: StreamName; data: Uint8Array }> = [];
  for (const chunk of chunks) decoder.push(chunk, (stream, data) => out.push({ stream, data: data.slice() }));
  decoder.end();
  return out;
}

async function readAll(stream: ReadableStream<Frame>): Promise<Frame[]> {
  const out: Frame[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

const splitAt = (bytes: Uint8Array, cuts: number[]) => chunked(bytes, cuts, { views: true, distinct: true });

const STREAM_OF: Record<number, StreamName> = { 0: "stdout", 1: "stdout", 2: "stderr" };

const framesArb = fc.array(
  fc.record({
    type: fc.constantFrom(0, 1, 2),
    // Mostly small payloads, sometimes large enough to pass the coalescing threshold.
    payload: fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 4000, maxLength: 9000 }) },
    ),
  }),
  { maxLength: 30 },
);

describe("FrameDecoder / demuxStream", () => {
  it("decodes any chunking of any frame sequence like frame-by-frame decoding", () => {
    fc.assert(
      fc.property(framesArb, fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const bytes = concat(frames.map((f) => frame(f.type, f.payload)));
        const expected = normalize(frames.map((f) => ({ stream: STREAM_OF[f.type], data: f.payload })));
        expect(normalize(decodeAll(splitAt(bytes, cuts)))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same result through the TransformStream for random chunkings", async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, fc.array(fc.nat(), { maxLength: 10 }), async (frames, cuts) => {
        const bytes = concat(frames.map((f) => frame(f.type, f.payload)));
        const expected = normalize(frames.map((f) => ({ stream: STREAM_OF[f.type], data: f.payload })));
        const got = await readAll(sourceOf(splitAt(bytes, cuts)).pipeThrough(demuxStream()));
        expect(normalize(got)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("handles a split at every offset, including inside headers", () => {
    const bytes = concat([frame(1, "hello"), frame(2, "oops"), frame(1, ""), frame(0, "echo")]);
    const expected = [
      { stream: "stdout", hex: Buffer.from("hello").toString("hex") },
      { stream: "stderr", hex: Buffer.from("oops").toString("hex") },
      { stream: "stdout", hex: Buffer.from("echo").toString("hex") },
    ];
    for (let i = 0; i <= bytes.length; i++) {
      expect(normalize(decodeAll([bytes.subarray(0, i), bytes.subarray(i)]))).toEqual(expected);
      for (let j = i; j <= bytes.length; j += 3) {
        expect(normalize(decodeAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]))).toEqual(expected);
      }
    }
    // One byte at a time.
    expect(normalize(decodeAll(Array.from(bytes, (b) => Uint8Array.of(b))))).toEqual(expected);
  });

  it("skips zero-length frames without emitting anything", () => {
    const emitted: unknown[] = [];
    const decoder = new FrameDecoder();
    decoder.push(concat([frame(1, ""), frame(2, ""), frame(1, "")]), (s, d) => emitted.push([s, d]));
    decoder.end();
    expect(emitted).toEqual([]);
  });

  it("delivers stream type 0 (stdin echo) as stdout", () => {
    expect(decodeAll([frame(0, "x")])).toEqual([{ stream: "stdout", data: new TextEncoder().encode("x") }]);
  });

  it("keeps stdout/stderr order and coalesces small frames of one stream in a chunk", () => {
    const out = decodeAll([concat([frame(1, "a"), frame(1, "b"), frame(2, "c"), frame(1, "d"), frame(1, "e")])]);
    expect(out.map((f) => [f.stream, new TextDecoder().decode(f.data)])).toEqual([
      ["stdout", "ab"],
      ["stderr", "c"],
      ["stdout", "de"],
    ]);
  });

  it("hands out views of the input for large pieces instead of copying", () => {
    const payload = new Uint8Array(10_000).fill(7);
    const input = frame(1, payload);
    const seen: Uint8Array[] = [];
    new FrameDecoder().push(input, (_s, d) => seen.push(d));
    expect(seen).toHaveLength(1);
    expect(seen[0].buffer).toBe(input.buffer);
    expect(seen[0].byteOffset).toBe(8);
    expect(seen[0].length).toBe(10_000);
  });

  it("streams one 64 MiB frame fed in 64 KiB chunks, piece by piece", async () => {
    const size = 64 * 1024 * 1024;
    const bytes = new Uint8Array(8 + size);
    bytes[0] = 2;
    new DataView(bytes.buffer).setUint32(4, size);
    for (let i = 0; i < size; i++) bytes[8 + i] = (i * 31) & 0xff;
    const chunks: Uint8Array[] = [];
    for (let o = 0; o < bytes.length; o += 65536) chunks.push(bytes.subarray(o, o + 65536));

    const reader = sourceOf(chunks).pipeThrough(demuxStream()).getReader();
    let total = 0;
    let pieces = 0;
    let mismatch = -1;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      expect(value.stream).toBe("stderr");
      for (let k = 0; k < value.data.length; k += 4099) {
        if (value.data[k] !== (((total + k) * 31) & 0xff)) mismatch = total + k;
      }
      total += value.data.length;
      pieces++;
    }
    expect(mismatch).toBe(-1);
    expect(total).toBe(size);
    // Emitted as it arrived: one piece per input chunk, never gathered into one buffer.
    expect(pieces).toBe(chunks.length);
  });

  it("decodes 100,000 ten-byte frames in one chunk without recursion", () => {
    const n = 100_000;
    const bytes = new Uint8Array(n * 18);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      const at = i * 18;
      bytes[at] = i % 1000 === 999 ? 2 : 1;
      view.setUint32(at + 4, 10);
      for (let k = 0; k < 10; k++) bytes[at + 8 + k] = (i + k) & 0xff;
    }
    const out: Array<{ stream: StreamName; data: Uint8Array }> = [];
    new FrameDecoder().push(bytes, (stream, data) => out.push({ stream, data }));
    let stdout = 0;
    let stderr = 0;
    for (const f of out) {
      if (f.stream === "stdout") stdout += f.data.length;
      else stderr += f.data.length;
    }
    expect(stdout).toBe((n - 100) * 10);
    expect(stderr).toBe(100 * 10);
    // Coalesced: one output frame per run of one stream (every 1000th frame is stderr: 100 runs each).
    expect(out.length).toBe(200);
    expect(Array.from(out[0].data.subarray(0, 20))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it("errors with the daemon's message on stream type 3", async () => {
    const bytes = concat([frame(1, "before"), frame(3, "container is gone\n")]);
    for (const cut of [0, 3, 14, 20, bytes.length - 1]) {
      const err = await readAll(sourceOf([bytes.subarray(0, cut), bytes.subarray(cut)]).pipeThrough(demuxStream())).catch((e) => e);
      expect(err).toBeInstanceOf(DockerStreamError);
      expect(err.message).toBe("container is gone");
    }
    // The decoder face delivers what came before the error, then throws.
    const seen: string[] = [];
    expect(() => new FrameDecoder().push(bytes, (_s, d) => seen.push(new TextDecoder().decode(d)))).toThrow("container is gone");
    expect(seen).toEqual(["before"]);
  });

  it("rejects an unknown stream type and non-zero header padding", async () => {
    const badType = concat([frame(1, "ok"), frame(5, "x")]);
    const err = await readAll(sourceOf([badType]).pipeThrough(demuxStream())).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch(/malformed multiplexed stream/);

    const badPadding = frame(1, "x");
    badPadding[2] = 1;
    expect(() => decodeAll([badPadding])).toThrow(/malformed multiplexed stream/);
    // Split inside the header too.
    expect(() => decodeAll([badPadding.subarray(0, 3), badPadding.subarray(3)])).toThrow(DockerStreamError);
    // A TTY stream mistaken for a multiplexed one fails at once rather than hanging.
    expect(() => decodeAll([new TextEncoder().encode("hello world\n")])).toThrow(/stream type 104/);
  });

  it("rejects a frame longer than maxFrameSize", () => {
    const decoder = new FrameDecoder({ maxFrameSize: 100 });
    expect(() => decoder.push(frame(1, new Uint8Array(101)), () => {})).toThrow(/101 bytes/);
    // Stays failed.
    expect(() => decoder.push(frame(1, "x"), () => {})).toThrow(DockerStreamError);
    expect(() => decoder.end()).toThrow(DockerStreamError);
    // The default is generous: a header declaring 2^31 - 1 bytes is accepted.
    const huge = frame(1, "");
    new DataView(huge.buffer).setUint32(4, 2 ** 31 - 1);
    const d2 = new FrameDecoder();
    d2.push(huge, () => {});
    expect(() => d2.end()).toThrow(/stream ended inside a frame/);
  });

  it("reports input that ends inside a header or a payload", async () => {
    const bytes = frame(2, "truncated payload");
    for (const cut of [1, 7, 8, 12]) {
      const err = await readAll(sourceOf([bytes.subarray(0, cut)]).pipeThrough(demuxStream())).catch((e) => e);
      expect(err).toBeInstanceOf(DockerStreamError);
      expect(err.message).toMatch(/stream ended inside a frame/);
    }
    // Complete input ends cleanly.
    expect(await readAll(sourceOf([bytes]).pipeThrough(demuxStream()))).toHaveLength(1);
  });

  it("propagates cancellation from the consumer to the source", async () => {
    let cancelled: unknown = "not called";
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(frame(1, "tick"));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const reader = source.pipeThrough(demuxStream()).getReader();
    expect((await reader.read()).value?.stream).toBe("stdout");
    await reader.cancel("done here");
    // pipeTo cancels the source asynchronously.
    for (let i = 0; i < 20 && cancelled === "not called"; i++) await new Promise((r) => setTimeout(r, 5));
    expect(cancelled).toBe("done here");
  });

  it("merges what arrived before a read into one Frame per run of a stream, in order", async () => {
    // Six chunks decoded while nobody reads: adjacent pieces of one stream become one Frame, each
    // switch of stream starts a new one.
    const chunks = [frame(1, "a"), frame(1, "b"), concat([frame(2, "c"), frame(0, "d")]), frame(1, "e"), frame(2, "f"), frame(2, "g")];
    const demuxed = sourceOf(chunks).pipeThrough(demuxStream());
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1));
    const out = await readAll(demuxed);
    expect(out.map((f) => [f.stream, new TextDecoder().decode(f.data)])).toEqual([
      ["stdout", "ab"],
      ["stderr", "c"],
      ["stdout", "de"],
      ["stderr", "fg"],
    ]);
  });

  it("delivers pieces of 4 KiB and more as views of the chunk, smaller ones of a run as one Frame", async () => {
    const k4 = (byte: number) => new Uint8Array(4096).fill(byte);
    const small = (byte: number) => new Uint8Array(1000).fill(byte);
    const chunk = concat([frame(1, small(1)), frame(1, small(2)), frame(1, k4(3)), frame(1, k4(4)), frame(2, small(5)), frame(1, k4(6))]);
    const out = await readAll(sourceOf([chunk]).pipeThrough(demuxStream()));
    expect(out.map((f) => [f.stream, f.data.length])).toEqual([
      ["stdout", 2000],
      ["stdout", 4096],
      ["stdout", 4096],
      ["stderr", 1000],
      ["stdout", 4096],
    ]);
    expect(Array.from(out[0].data.subarray(995, 1005))).toEqual([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    // A 4 KiB write is not copied: a read costs less than copying it into a merged Frame.
    for (const i of [1, 2, 4]) expect(out[i].data.buffer).toBe(chunk.buffer);
  });

  it("widens a Frame in place when a later chunk's run continues it in memory, and copies otherwise", async () => {
    // Read after all three chunks are decoded: the stdout runs of the first two are gathered one
    // after the other in the decoder's block, so they come out as one view without a copy; the
    // lone piece of the third (a view of its own chunk) is copied onto them once.
    const chunks = [concat([frame(1, "ab"), frame(1, "cd")]), concat([frame(1, "ef"), frame(1, "gh")]), frame(1, "ij")];
    const demuxed = sourceOf(chunks).pipeThrough(demuxStream());
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 1));
    const out = await readAll(demuxed);
    expect(out.map((f) => [f.stream, new TextDecoder().decode(f.data)])).toEqual([["stdout", "abcdefghij"]]);
  });

  it("gives exact bytes and order to a reader that reads at random moments", async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, fc.array(fc.nat(), { maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 40 }), async (frames, cuts, waits) => {
        const bytes = concat(frames.map((f) => frame(f.type, f.payload)));
        const reader = sourceOf(splitAt(bytes, cuts)).pipeThrough(demuxStream()).getReader();
        const out: Frame[] = [];
        for (let i = 0; ; i++) {
          if (waits[i % Math.max(1, waits.length)]) await new Promise((r) => setTimeout(r, 0));
          const { value, done } = await reader.read();
          if (done) break;
          out.push({ stream: value.stream, data: value.data.slice() });
        }
        const expected = frames.map((f) => ({ stream: STREAM_OF[f.type], data: f.payload }));
        expect(normalize(out)).toEqual(normalize(expected));
      }),
      { numRuns: 60 },
    );
  });

  it("does not pull the source without bound when nobody reads", async () => {
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(frame(1, new Uint8Array(1024)));
      },
    });
    const demuxed = source.pipeThrough(demuxStream());
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
    const idle = pulls;
    // What an unread stream holds is bounded in bytes: 64 KiB decoded ahead (merged for the reader)
    // plus the few chunks queued on each side, here 1 KiB each.
    expect(idle).toBeGreaterThan(0);
    expect(idle).toBeLessThan(64 + 10);
    // Reading resumes the flow.
    const reader = demuxed.getReader();
    for (let i = 0; i < 50; i++) await reader.read();
    expect(pulls).toBeGreaterThan(idle + 40);
    await reader.cancel();
  });
});

describe("rawStream", () => {
  it("passes bytes through as frames of one stream", async () => {
    const chunks = [new TextEncoder().encode("a\r\n"), new Uint8Array(0), new TextEncoder().encode("b")];
    const out = await readAll(sourceOf(chunks).pipeThrough(rawStream()));
    expect(out.map((f) => [f.stream, new TextDecoder().decode(f.data)])).toEqual([
      ["stdout", "a\r\n"],
      ["stdout", "b"],
    ]);
    const err = await readAll(sourceOf([Uint8Array.of(1)]).pipeThrough(rawStream("stderr")));
    expect(err[0].stream).toBe("stderr");
  });
});

describe("isMultiplexed", () => {
  it.each([
    ["application/vnd.docker.multiplexed-stream", undefined, true],
    ["application/vnd.docker.multiplexed-stream", true, true],
    ["Application/VND.docker.multiplexed-stream; charset=x", undefined, true],
    ["application/vnd.docker.raw-stream", false, true], // API 1.41 labels multiplexed bodies raw
    ["application/vnd.docker.raw-stream", true, false],
    ["application/vnd.docker.raw-stream", undefined, false],
    [null, true, false],
    [null, false, true],
    [null, undefined, true],
    ["", undefined, true],
    ["text/plain", undefined, true],
  ] as const)("%s with tty=%s → %s", (contentType, tty, expected) => {
    expect(isMultiplexed(contentType, tty)).toBe(expected);
  });
});
