// Coalescing: adjacent frames of one stream found in one input chunk come out as one piece, and
// nothing about the bytes, their order or the stdout/stderr switches changes. Each public path
// (FrameDecoder at any coalescing threshold, demuxStream, iterating an OutputStream, its lines())
// is checked against the FrameDecoder called directly on the whole input at once, with the pieces
// kept (not copied) while later chunks are decoded, so a buffer reused too early would show.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerStreamError } from "../../src/errors/errors.ts";
import { FrameDecoder, demuxStream, type Frame, type StreamName } from "../../src/streams/demux.ts";
import { OutputStream } from "../../src/streams/output.ts";
import { concat, frame, sourceOf as source } from "./frames.ts";
import { chunked } from "./fuzz-helpers.ts";

/** Cuts `bytes` at `cuts` into fresh chunks (as a socket delivers them). */
const chunksOf = (bytes: Uint8Array, cuts: number[]) => chunked(bytes, cuts, { distinct: true });

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The per-stream runs of bytes, in order: what every path must agree on. */
function runs(pieces: Array<{ stream: StreamName; data: Uint8Array }>): Array<[StreamName, string]> {
  const out: Array<[StreamName, string]> = [];
  for (const p of pieces) {
    if (p.data.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last[0] === p.stream) last[1] += hex(p.data);
    else out.push([p.stream, hex(p.data)]);
  }
  return out;
}

/** The reference: the decoder called directly on the whole input in one push. */
function reference(bytes: Uint8Array): Array<[StreamName, string]> {
  const out: Array<{ stream: StreamName; data: Uint8Array }> = [];
  const decoder = new FrameDecoder();
  decoder.push(bytes, (stream, data) => out.push({ stream, data: data.slice() }));
  decoder.end();
  return runs(out);
}

// Sizes on both sides of every threshold: the byte loop (48), views (4 KiB), the stream's 16 KiB.
const payloadArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 60 }) },
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 40, maxLength: 600 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 3900, maxLength: 4300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 15000, maxLength: 18000 }) },
);
const framesArb = fc.array(fc.record({ type: fc.constantFrom(0, 1, 2), payload: payloadArb }), { maxLength: 40 });
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });
const inputOf = (frames: Array<{ type: number; payload: Uint8Array }>) => concat(frames.map((f) => frame(f.type, f.payload)));

describe("coalescing", () => {
  it("FrameDecoder at any threshold, any chunking: the reference's bytes, order and switches, pieces kept across chunks", () => {
    fc.assert(
      fc.property(framesArb, cutsArb, fc.constantFrom(1, 48, 4096, 16 * 1024, 1 << 20), (frames, cuts, below) => {
        const bytes = inputOf(frames);
        const decoder = new FrameDecoder({}, below);
        const kept: Array<{ stream: StreamName; data: Uint8Array }> = [];
        for (const chunk of chunksOf(bytes, cuts)) decoder.push(chunk, (stream, data) => kept.push({ stream, data }));
        decoder.end();
        expect(runs(kept)).toEqual(reference(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("one piece per run of a stream when a chunk holds whole small frames", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ type: fc.constantFrom(0, 1, 2), payload: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { maxLength: 60 }), (frames) => {
        const emitted: StreamName[] = [];
        new FrameDecoder({}, 16 * 1024).push(inputOf(frames), (stream) => emitted.push(stream));
        // Adjacent pieces always differ in stream: same-stream neighbours were merged.
        for (let i = 1; i < emitted.length; i++) expect(emitted[i]).not.toBe(emitted[i - 1]);
        const switches = frames.filter((f, i) => i === 0 || (f.type === 2) !== (frames[i - 1].type === 2)).length;
        expect(emitted.length).toBe(switches);
      }),
      { numRuns: 200 },
    );
  });

  it("a lone frame is a view of the chunk, not a copy; two become one copy", () => {
    const a = new Uint8Array(100).fill(1);
    const chunk = concat([frame(1, a), frame(2, a), frame(2, a)]);
    const seen: Frame[] = [];
    new FrameDecoder({}, 16 * 1024).push(chunk, (stream, data) => seen.push({ stream, data }));
    expect(seen.map((f) => [f.stream, f.data.length])).toEqual([["stdout", 100], ["stderr", 200]]);
    expect(seen[0].data.buffer).toBe(chunk.buffer);
    expect(seen[1].data.buffer).not.toBe(chunk.buffer);
  });

  it("demuxStream and OutputStream iteration give the reference's runs, Frames kept unread until the end", async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, cutsArb, async (frames, cuts) => {
        const bytes = inputOf(frames);
        const expected = reference(bytes);
        const viaStream: Frame[] = [];
        const reader = source(chunksOf(bytes, cuts)).pipeThrough(demuxStream()).getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) viaStream.push(r.value);
        expect(runs(viaStream)).toEqual(expected);
        const viaOutput: Frame[] = [];
        for await (const f of OutputStream.ofBody(source(chunksOf(bytes, cuts)), true)) viaOutput.push(f);
        expect(runs(viaOutput)).toEqual(expected);
        const collected = await OutputStream.ofBody(source(chunksOf(bytes, cuts)), true).bytes();
        const per = (s: StreamName) => expected.filter(([stream]) => stream === s).map(([, h]) => h).join("");
        expect([hex(collected.stdout), hex(collected.stderr)]).toEqual([per("stdout"), per("stderr")]);
      }),
      { numRuns: 80 },
    );
  });

  it("demuxStream with a reader that lags at random: the reference's runs, whether chunks are copies or views of one buffer", async () => {
    // A lagging reader lets runs of several chunks merge: in place when one continues the last in
    // memory (the decoder's block, or chunks that are views of one buffer), else copied together.
    await fc.assert(
      fc.asyncProperty(framesArb, cutsArb, fc.array(fc.nat(3), { maxLength: 20 }), fc.boolean(), async (frames, cuts, waits, views) => {
        const bytes = inputOf(frames);
        const chunks = chunksOf(bytes, cuts);
        if (views) {
          let at = 0;
          for (let i = 0; i < chunks.length; i++) chunks[i] = bytes.subarray(at, (at += chunks[i].length));
        }
        const reader = source(chunks).pipeThrough(demuxStream()).getReader();
        const kept: Frame[] = [];
        for (let i = 0; ; i++) {
          for (let w = waits[i % Math.max(1, waits.length)] ?? 0; w > 0; w--) await new Promise((r) => setTimeout(r, 0));
          const r = await reader.read();
          if (r.done) break;
          expect(r.value.data.length).toBeGreaterThan(0);
          kept.push(r.value);
        }
        expect(runs(kept)).toEqual(reference(bytes));
      }),
      { numRuns: 80 },
    );
  });

  it("lines() of text frames equals splitting each stream's text, for any chunking", async () => {
    const enc = new TextEncoder();
    const textFrames = fc.array(
      fc.record({ type: fc.constantFrom(1, 2), text: fc.stringMatching(/^[a-z€\n]{0,120}$/) }),
      { maxLength: 30 },
    );
    await fc.assert(
      fc.asyncProperty(textFrames, cutsArb, async (frames, cuts) => {
        const bytes = concat(frames.map((f) => frame(f.type, enc.encode(f.text))));
        const got: Array<[string, string]> = [];
        for await (const l of OutputStream.ofBody(source(chunksOf(bytes, cuts)), true).lines()) got.push([l.stream, l.line]);
        const expected: Array<[string, string]> = [];
        for (const stream of ["stdout", "stderr"] as const) {
          const text = frames.filter((f) => (f.type === 2) === (stream === "stderr")).map((f) => f.text).join("");
          const lines = text.split("\n");
          if (lines[lines.length - 1] === "") lines.pop();
          for (const line of lines) expected.push([stream, line]);
        }
        // Streams are split independently: compare each stream's lines in order.
        for (const stream of ["stdout", "stderr"]) expect(got.filter((g) => g[0] === stream)).toEqual(expected.filter((e) => e[0] === stream));
      }),
      { numRuns: 80 },
    );
  });

  it("type-3 and truncation errors are unchanged, after the pieces before them", async () => {
    const before = new Uint8Array(50).fill(7);
    const bytes = concat([frame(1, before), frame(1, before), frame(3, new TextEncoder().encode("container is gone\n"))]);
    for (const cuts of [[], [60], [110], [115]]) {
      const seen: Frame[] = [];
      const decoder = new FrameDecoder({}, 16 * 1024);
      const error = (() => {
        try {
          for (const chunk of chunksOf(bytes, cuts)) decoder.push(chunk, (stream, data) => seen.push({ stream, data: data.slice() }));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(DockerStreamError);
      expect((error as Error).message).toBe("container is gone");
      expect(seen.reduce((n, f) => n + f.data.length, 0)).toBe(100);
    }
    const cut = concat([frame(1, before)]).subarray(0, 30);
    const decoder = new FrameDecoder();
    decoder.push(cut, () => {});
    expect(() => decoder.end()).toThrow("malformed multiplexed stream: stream ended inside a frame (with 28 payload bytes of the last frame missing)");
    const err = await (async () => {
      for await (const _ of OutputStream.ofBody(source([cut]), true));
    })().catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch(/stream ended inside a frame/);
  });
});
