import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerStreamError } from "../../src/errors/errors.ts";
import { JsonLineDecoder, inBandError, jsonLines, splitConcatenated } from "../../src/streams/json-lines.ts";
import { chunked } from "./fuzz-helpers.ts";

const enc = new TextEncoder();

function sourceOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

async function decode<T = unknown>(chunks: Array<Uint8Array | string>, options?: Parameters<typeof jsonLines>[0]): Promise<T[]> {
  const bytes = chunks.map((c) => (typeof c === "string" ? enc.encode(c) : c));
  const reader = sourceOf(bytes).pipeThrough(jsonLines<T>(options)).getReader();
  const out: T[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

function decodeSync(chunks: Uint8Array[]): unknown[] {
  const d = new JsonLineDecoder();
  const out: unknown[] = [];
  for (const c of chunks) d.push(c, (v) => out.push(v));
  d.end((v) => out.push(v));
  return out;
}

describe("jsonLines", () => {
  it("keeps multi-byte UTF-8 characters intact when a chunk boundary splits them, at every offset", () => {
    const values = [{ status: "Pulling fs layer ✓" }, { id: "日本語", progress: "€ 🐳 done" }, { emoji: "🐳🐳" }];
    const bytes = enc.encode(values.map((v) => JSON.stringify(v)).join("\n") + "\n");
    for (let i = 0; i <= bytes.length; i++) {
      expect(decodeSync([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(values);
    }
    expect(decodeSync(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(values);
  });

  it("decodes any chunking of any sequence of values", () => {
    const valueArb = fc.record({ s: fc.string({ unit: "binary" }), n: fc.integer(), a: fc.array(fc.boolean(), { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 15 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (values, cuts, crlf) => {
        const sep = crlf ? "\r\n" : "\n";
        const bytes = enc.encode(values.map((v) => JSON.stringify(v) + sep).join(""));
        expect(decodeSync(chunked(bytes, cuts, { views: true, distinct: true }))).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });

  it("accepts CRLF, skips blank lines, and parses a final line without newline", async () => {
    expect(await decode(['{"a":1}\r\n\r\n', "\n   \n", '{"b":', '2}\r\n{"c":3}'])).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(await decode(["", "\n\n"])).toEqual([]);
    expect(await decode(['"just a string"'])).toEqual(["just a string"]);
  });

  it("turns an in-band error into DockerStreamError with the detail", async () => {
    const lines = [
      '{"status":"Pulling from library/nope"}\n',
      '{"errorDetail":{"code":1,"message":"manifest unknown"},"error":"manifest unknown"}\n',
      '{"status":"never seen"}\n',
    ];
    const err = await decode(lines).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toBe("manifest unknown");
    expect(err.detail).toEqual({ code: 1, message: "manifest unknown" });

    // Only the detail present.
    expect(inBandError({ errorDetail: { message: "denied" } })?.message).toBe("denied");
    expect(inBandError({ status: "ok" })).toBeNull();
    expect(inBandError({ error: "" })).toBeNull();
    expect(inBandError([1])).toBeNull();

    // Passed through untouched when asked.
    const values = await decode(lines, { errorOnInBandError: false });
    expect(values).toHaveLength(3);
    expect(values[1]).toMatchObject({ error: "manifest unknown" });
  });

  it("rejects invalid JSON, quoting the line", async () => {
    const err = await decode(['{"ok":true}\n{"broken": tru\n']).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toContain('{\\"broken\\": tru');

    const long = "x".repeat(5000);
    const err2 = await decode([long]).catch((e) => e);
    expect(err2).toBeInstanceOf(DockerStreamError);
    expect(err2.message.length).toBeLessThan(300);
  });

  it("refuses a line longer than maxLineLength instead of growing", async () => {
    const line = JSON.stringify({ data: "y".repeat(200) });
    // Split over chunks, never ending.
    const err = await decode(Array.from({ length: 10 }, () => "y".repeat(50)), { maxLineLength: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch(/exceeds the 100-byte limit/);
    // Within one chunk, among short lines.
    const err2 = await decode([`{"a":1}\n${line}\n{"b":2}\n`], { maxLineLength: 100 }).catch((e) => e);
    expect(err2).toBeInstanceOf(DockerStreamError);
    // Completed in a later chunk.
    const err3 = await decode([line.slice(0, 90), `${line.slice(90)}\n`], { maxLineLength: 100 }).catch((e) => e);
    expect(err3).toBeInstanceOf(DockerStreamError);
    // At the limit is fine.
    expect(await decode([`${line}\n`], { maxLineLength: line.length })).toHaveLength(1);
  });

  it("splits objects concatenated on one line", async () => {
    const values = await decode(['{"stream":"Step 1/2 {"}{"stream":"a \\"}\\" b"}  {"aux":{"ID":"sha256:x"}}\n[1,2]{"z":[{}]}\n']);
    expect(values).toEqual([{ stream: "Step 1/2 {" }, { stream: 'a "}" b' }, { aux: { ID: "sha256:x" } }, [1, 2], { z: [{}] }]);
    expect(splitConcatenated('{"a":1} 3')).toBeNull();
    expect(splitConcatenated('{"a":1}{"b":')).toBeNull();
    // A concatenated piece that is not valid JSON still errors.
    await expect(decode(['{"a":1}{b:2}\n'])).rejects.toBeInstanceOf(DockerStreamError);
  });

  it("decodes through the stream face with backpressure and many lines per chunk", async () => {
    const n = 20_000;
    const text = Array.from({ length: n }, (_, i) => JSON.stringify({ i })).join("\n");
    const values = await decode<{ i: number }>([text]);
    expect(values).toHaveLength(n);
    expect(values[n - 1]).toEqual({ i: n - 1 });
  });

  it("delivers every value that came before an error in the same chunk, then the error", async () => {
    // An engine writes a build's last lines and its in-band error together.
    const chunk = enc.encode('{"stream":"Step 2/2 : RUN false"}\n{"stream":"output"}\n{"error":"failed","errorDetail":{"message":"failed"}}\n');
    const reader = sourceOf([chunk]).pipeThrough(jsonLines()).getReader();
    expect((await reader.read()).value).toEqual({ stream: "Step 2/2 : RUN false" });
    expect((await reader.read()).value).toEqual({ stream: "output" });
    await expect(reader.read()).rejects.toMatchObject({ name: "DockerStreamError", message: expect.stringMatching(/failed/) });
    // Malformed JSON after good lines: the good lines first, too.
    const values: unknown[] = [];
    const second = sourceOf([enc.encode('{"a":1}\n{"b":2}\nnot json\n')]).pipeThrough(jsonLines()).getReader();
    const err = await (async () => {
      for (;;) {
        const { done, value } = await second.read();
        if (done) return;
        values.push(value);
      }
    })().catch((e) => e);
    expect(values).toEqual([{ a: 1 }, { b: 2 }]);
    expect(err).toBeInstanceOf(DockerStreamError);
  });
});
