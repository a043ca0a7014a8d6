// Random and corrupt bytes, in random chunkings, through every parser that reads what the engine
// (or whatever answers in its place) sends: the multiplexed-stream demuxer, the JSON-lines decoder,
// the tar reader (and its gzip sniffing), and the HTTP/1.1 response-head parser, chunked decoder and
// upgrade handshake. Each must produce the right output or a typed DockerError: never another
// exception, a hang, memory that grows with the input, or an unhandled rejection.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DockerError, DockerStreamError } from "../../src/errors/errors.ts";
import { FrameDecoder, demuxStream, type StreamName } from "../../src/streams/demux.ts";
import { JsonLineDecoder, jsonLines } from "../../src/streams/json-lines.ts";
import { gunzipIfNeeded, readTar, readTarEntries, tarBytes, type TarEntry } from "../../src/streams/tar.ts";
import { ChunkedDecoder, bodyFraming, parseResponseHead } from "../../src/transport/http/http1.ts";
import { upgrade } from "../../src/transport/http/upgrade.ts";
import type { Duplex } from "../../src/transport/transport.ts";

import { HANG, RUNS, biasedBytes, chunked, concat, cutsArb, source, typed, typedAsync } from "./fuzz-helpers.ts";

const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Multiplexed streams

type Run = { stream: StreamName; hex: string };

function merge(pieces: Array<{ stream: StreamName; data: Uint8Array }>): Run[] {
  const runs: Array<{ stream: StreamName; parts: Uint8Array[] }> = [];
  for (const p of pieces) {
    if (p.data.length === 0) continue;
    const last = runs[runs.length - 1];
    if (last && last.stream === p.stream) last.parts.push(p.data);
    else runs.push({ stream: p.stream, parts: [p.data] });
  }
  return runs.map((r) => ({ stream: r.stream, hex: Buffer.from(concat(r.parts)).toString("hex") }));
}

/** The format, read the slow and obvious way: payload bytes in order, and whether it is malformed. */
function referenceDemux(bytes: Uint8Array, maxFrameSize: number): { runs: Run[]; error: boolean } {
  const out: Array<{ stream: StreamName; data: Uint8Array }> = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 8) return { runs: merge(out), error: true };
    const type = bytes[pos];
    const padding = bytes[pos + 1] | bytes[pos + 2] | bytes[pos + 3];
    const size = new DataView(bytes.buffer, bytes.byteOffset + pos + 4, 4).getUint32(0);
    pos += 8;
    if (type > 3 || padding !== 0 || size > maxFrameSize) return { runs: merge(out), error: true };
    if (type === 3) return { runs: merge(out), error: true };
    const take = Math.min(size, bytes.length - pos);
    out.push({ stream: type === 2 ? "stderr" : "stdout", data: bytes.subarray(pos, pos + take) });
    pos += take;
    if (take < size) return { runs: merge(out), error: true };
  }
  return { runs: merge(out), error: false };
}

function frameBytes(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(4, payload.length);
  out.set(payload, 8);
  return out;
}

const framesArb = fc.array(
  fc.record({ type: fc.constantFrom(0, 1, 2), payload: fc.uint8Array({ maxLength: 60 }) }),
  { maxLength: 12 },
);

/** A valid stream with some bytes overwritten, inserted or cut off. */
const corruptedDemuxArb = fc
  .tuple(framesArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.option(fc.nat()))
  .map(([frames, flips, cut]) => {
    const bytes = concat(frames.map((f) => frameBytes(f.type, f.payload)));
    for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
    return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  });

describe("fuzz: multiplexed stream demuxer", () => {
  const check = (bytes: Uint8Array, cuts: number[], maxFrameSize?: number) => {
    const decoder = new FrameDecoder(maxFrameSize === undefined ? {} : { maxFrameSize });
    const out: Array<{ stream: StreamName; data: Uint8Array }> = [];
    const error = typed(() => {
      for (const chunk of chunked(bytes, cuts)) decoder.push(chunk, (stream, data) => out.push({ stream, data: data.slice() }));
      decoder.end();
    }, DockerStreamError);
    const expected = referenceDemux(bytes, maxFrameSize ?? 2 ** 31);
    expect(error !== undefined).toBe(expected.error);
    // Everything before the fault came out, in order, and nothing after it.
    expect(merge(out)).toEqual(expected.runs);
    // A failed decoder stays failed with the same error.
    if (error) expect(typed(() => decoder.push(new Uint8Array(1), () => {}), DockerStreamError)).toBe(error);
  };

  it("random bytes, biased towards header bytes: the reference output or a DockerStreamError", () => {
    fc.assert(fc.property(biasedBytes([0, 1, 2, 3]), cutsArb, (bytes, cuts) => check(bytes, cuts)), { numRuns: RUNS * 2 });
  });

  it("corrupted valid streams, random chunking, small frame limits", () => {
    fc.assert(
      fc.property(corruptedDemuxArb, cutsArb, fc.option(fc.nat({ max: 80 })), (bytes, cuts, max) => check(bytes, cuts, max ?? undefined)),
      { numRuns: RUNS * 2 },
    );
  });

  it("refuses a frame of absurd length at its header, without waiting for the payload", () => {
    const decoder = new FrameDecoder();
    const header = Uint8Array.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    const error = typed(() => decoder.push(header, () => {}), DockerStreamError);
    expect(error?.message).toMatch(/frame declares 4294967295 bytes/);
  });

  it("keeps at most 64 KiB of a huge daemon error frame", () => {
    const decoder = new FrameDecoder();
    decoder.push(Uint8Array.from([3, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]), () => {});
    const chunk = new Uint8Array(1 << 20).fill(0x41);
    for (let i = 0; i < 32; i++) decoder.push(chunk, () => {});
    expect((decoder as unknown as { errorLength: number }).errorLength).toBeLessThanOrEqual(64 * 1024);
  });

  it("through demuxStream: a readable that ends or errors with a DockerStreamError", async () => {
    await fc.assert(
      fc.asyncProperty(corruptedDemuxArb, cutsArb, async (bytes, cuts) => {
        const reader = source(chunked(bytes, cuts)).pipeThrough(demuxStream()).getReader();
        const error = await typedAsync(async () => {
          for (;;) if ((await reader.read()).done) return;
        }, DockerStreamError);
        expect(error !== undefined).toBe(referenceDemux(bytes, 2 ** 31).error);
      }),
      { numRuns: RUNS, timeout: HANG },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// JSON lines

/** JSON values as they come back from a round trip (no -0, no undefined). */
const jsonValueArb = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

describe("fuzz: JSON-lines decoder", () => {
  const decode = (chunks: Uint8Array[], options: ConstructorParameters<typeof JsonLineDecoder>[0] = {}) => {
    const decoder = new JsonLineDecoder(options);
    const values: unknown[] = [];
    const error = typed(() => {
      for (const chunk of chunks) decoder.push(chunk, (v) => values.push(v));
      decoder.end((v) => values.push(v));
    }, DockerStreamError);
    return { values, error, decoder };
  };

  it("valid lines (CRLF, blank lines, no final newline, split characters) decode exactly", () => {
    fc.assert(
      fc.property(
        fc.array(jsonValueArb, { maxLength: 10 }),
        fc.constantFrom("\n", "\r\n", "\n\n", "\n \n"),
        fc.boolean(),
        cutsArb,
        (values, newline, trailing, cuts) => {
          const text = values.map((v) => JSON.stringify(v)).join(newline) + (trailing ? newline : "");
          const { values: got, error } = decode(chunked(enc.encode(text), cuts), { errorOnInBandError: false });
          expect(error).toBeUndefined();
          expect(got).toEqual(values);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("random bytes: values or a DockerStreamError, and the same outcome whatever the chunking", () => {
    const alphabet = [...'{}[]":,\n\r 0123456789truefalsn\\'].map((c) => c.charCodeAt(0));
    fc.assert(
      fc.property(biasedBytes(alphabet), cutsArb, (bytes, cuts) => {
        const whole = decode([bytes]);
        const pieces = decode(chunked(bytes, cuts));
        expect(pieces.error !== undefined).toBe(whole.error !== undefined);
        if (!whole.error) expect(pieces.values).toEqual(whole.values);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("an oversized line is refused, and no more than the limit is ever held", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 2000 }), cutsArb, (max, extra, cuts) => {
        const line = `"${"x".repeat(max + extra)}"\n{"after":1}\n`;
        const decoder = new JsonLineDecoder({ maxLineLength: max });
        let peak = 0;
        const error = typed(() => {
          for (const chunk of chunked(enc.encode(line), cuts)) {
            decoder.push(chunk, () => {});
            peak = Math.max(peak, (decoder as unknown as { carryLength: number }).carryLength);
          }
          decoder.end(() => {});
        }, DockerStreamError);
        expect(error?.message).toMatch(/exceeds the \d+-byte limit/);
        expect(peak).toBeLessThanOrEqual(max);
      }),
      { numRuns: RUNS },
    );
  });

  it("in-band errors anywhere in the stream become a DockerStreamError carrying the message", () => {
    fc.assert(
      fc.property(fc.array(jsonValueArb, { maxLength: 4 }), fc.string({ minLength: 1 }), cutsArb, (before, message, cuts) => {
        const text = [...before.map((v) => JSON.stringify(v)), JSON.stringify({ errorDetail: { message }, error: message })].join("\n");
        const { error } = decode(chunked(enc.encode(text), cuts));
        expect(error).toBeInstanceOf(DockerStreamError);
      }),
      { numRuns: RUNS },
    );
  });

  it("through jsonLines: the readable errors with a DockerStreamError, never anything else", async () => {
    await fc.assert(
      fc.asyncProperty(biasedBytes([...'{}[]":,\n1a'].map((c) => c.charCodeAt(0))), cutsArb, async (bytes, cuts) => {
        const reader = source(chunked(bytes, cuts)).pipeThrough(jsonLines({ maxLineLength: 64 })).getReader();
        await typedAsync(async () => {
          for (;;) if ((await reader.read()).done) return;
        }, DockerStreamError);
      }),
      { numRuns: RUNS, timeout: HANG },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// tar

const entryArb: fc.Arbitrary<TarEntry> = fc.oneof(
  fc.record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9./_-]{0,150}$/).filter((n) => !n.endsWith("/")),
    data: fc.uint8Array({ maxLength: 1500 }),
  }),
  fc.record({ name: fc.stringMatching(/^[a-z0-9]{1,20}$/), type: fc.constant("directory" as const) }),
  fc.record({ name: fc.string({ minLength: 1, maxLength: 40 }).filter((n) => !n.includes("\0") && !n.endsWith("/")), type: fc.constant("symlink" as const), linkname: fc.string({ minLength: 1, maxLength: 120 }).filter((n) => !n.includes("\0")) }),
);

async function readAllEntries(bytes: Uint8Array, cuts: number[]) {
  return readTarEntries(source(chunked(bytes, cuts)));
}

describe("fuzz: tar reader", () => {
  it("archives berth writes read back the same, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { maxLength: 6 }), cutsArb, async (entries, cuts) => {
        const bytes = await tarBytes(entries);
        const got = await readAllEntries(bytes, cuts);
        expect(got.map((e) => e.name)).toEqual(entries.map((e) => (e.type === "directory" ? `${e.name}/` : e.name)));
        got.forEach((e, i) => {
          const want = entries[i];
          if (want.type === "symlink") expect(e.linkname).toBe(want.linkname);
          else if (want.type !== "directory") expect(Buffer.from(e.data).equals(Buffer.from(want.data as Uint8Array))).toBe(true);
        });
      }),
      { numRuns: Math.ceil(RUNS / 3), timeout: HANG },
    );
  });

  it("corrupted archives read or fail with a DockerStreamError; cut ones always fail", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat()),
        cutsArb,
        async (entries, flips, cut, cuts) => {
          const bytes = await tarBytes(entries);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          // Cut before the last zero block: the end-of-archive marker is then incomplete.
          const length = cut === null ? bytes.length : cut % (bytes.length - 512);
          const error = await typedAsync(() => readAllEntries(bytes.subarray(0, length), cuts), DockerStreamError);
          if (cut !== null) expect(error).toBeInstanceOf(DockerStreamError);
        },
      ),
      { numRuns: RUNS, timeout: HANG },
    );
  });

  it("random blocks, biased towards header-like bytes, fail with a DockerStreamError", async () => {
    const digits = [...'01234567 \0xgLK5ustar'].map((c) => c.charCodeAt(0));
    await fc.assert(
      fc.asyncProperty(biasedBytes(digits, 2048), cutsArb, async (bytes, cuts) => {
        await typedAsync(() => readAllEntries(bytes, cuts), DockerStreamError);
      }),
      { numRuns: RUNS, timeout: HANG },
    );
  });

  it("header blocks with valid checksums and random fields (PAX, long names, sizes) read or fail typed", async () => {
    const fieldBytes = [...'0123456789 \0=\npathlinksizemtime/x'].map((c) => c.charCodeAt(0));
    const blockArb = fc
      .tuple(
        biasedBytes(fieldBytes, 512),
        fc.constantFrom("0", "5", "x", "g", "L", "K", "2", "1", "7", "\0", "S"),
        fc.oneof(fc.nat({ max: 2000 }).map((n) => n.toString(8).padStart(11, "0")), fc.stringMatching(/^[0-7 \0]{0,11}$/)),
        fc.boolean(),
      )
      .map(([random, flag, size, ustar]) => {
        const block = new Uint8Array(512);
        block.set(random.subarray(0, 512));
        block.set(enc.encode(size.padEnd(12, "\0").slice(0, 12)), 124);
        block[156] = flag.charCodeAt(0);
        if (ustar) block.set(enc.encode("ustar\x0000"), 257);
        block.fill(0x20, 148, 156);
        let sum = 0;
        for (let i = 0; i < 512; i++) sum += block[i];
        block.set(enc.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
        return block;
      });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(blockArb, biasedBytes(fieldBytes, 700)), { minLength: 1, maxLength: 4 }), fc.boolean(), cutsArb, async (parts, end, cuts) => {
        const bytes = concat([...parts.flatMap(([h, d]) => [h, d]), end ? new Uint8Array(1024) : new Uint8Array(0)]);
        await typedAsync(() => readAllEntries(bytes, cuts), DockerStreamError);
      }),
      { numRuns: RUNS, timeout: HANG },
    );
  });

  it("an entry declaring an absurd size fails as truncated, without holding the input", async () => {
    const bytes = await tarBytes([{ name: "big", data: new Uint8Array(10) }]);
    // Base-256 size 2^52 in the header's size field (offset 124, 12 bytes); fix the checksum.
    bytes.fill(0, 124, 136);
    bytes[124] = 0x80;
    bytes[129] = 0x10;
    bytes.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += bytes[i];
    bytes.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    const entries: number[] = [];
    const error = await typedAsync(async () => {
      for await (const entry of readTar(source([bytes]))) entries.push(entry.size);
    }, DockerStreamError);
    expect(entries).toEqual([2 ** 52]);
    expect(error?.message).toMatch(/truncated/);
  });

  it("gzip-looking garbage fails with a DockerStreamError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), cutsArb, async (tail, cuts) => {
        const bytes = concat([Uint8Array.from([0x1f, 0x8b]), tail]);
        await typedAsync(() => readTarEntries(gunzipIfNeeded(source(chunked(bytes, cuts)))), DockerStreamError);
      }),
      { numRuns: Math.ceil(RUNS / 3), timeout: HANG },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP/1.1: response heads, chunked bodies, the upgrade handshake

const headAlphabet = [...'HTTP/1.1 200 101 OK\r\n\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n:\t'].map((c) => c.charCodeAt(0));

const validHeadArb = fc
  .tuple(
    fc.integer({ min: 100, max: 599 }),
    fc.stringMatching(/^[A-Za-z ]{0,12}$/),
    fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/)), { maxLength: 6 }),
  )
  .map(([status, reason, headers]) => ({
    status,
    reason,
    headers,
    text: `HTTP/1.1 ${status}${reason ? ` ${reason}` : ""}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`,
  }));

describe("fuzz: HTTP response head and chunked body", () => {
  it("random bytes: a head, null (incomplete) or a DockerStreamError, consistently as bytes arrive", () => {
    fc.assert(
      fc.property(biasedBytes(headAlphabet, 200), (bytes) => {
        let settled: "error" | "head" | undefined;
        for (let n = 0; n <= bytes.length; n++) {
          let head: ReturnType<typeof parseResponseHead> = null;
          const error = typed(() => (head = parseResponseHead(bytes.subarray(0, n))), DockerStreamError);
          // Once a prefix is refused, every longer one is too; once a head is found, it stays found.
          if (settled === "error") expect(error).toBeDefined();
          if (settled === "head") expect(head).not.toBeNull();
          if (error) settled = "error";
          else if (head) settled ??= "head";
          if (head) expect((head as { headLength: number }).headLength).toBeLessThanOrEqual(n);
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("valid heads parse to their status and headers", () => {
    fc.assert(
      fc.property(validHeadArb, (h) => {
        const head = parseResponseHead(enc.encode(`${h.text}body`));
        expect(head?.status).toBe(h.status);
        expect(head?.headLength).toBe(h.text.length);
        for (const [k] of h.headers) expect(head?.headers.has(k.toLowerCase())).toBe(true);
        typed(() => bodyFraming(head!.headers), DockerStreamError);
      }),
      { numRuns: RUNS },
    );
  });

  it("chunked bodies decode exactly whatever the chunking; random bytes give pieces or a DockerStreamError", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 6 }), cutsArb, (payloads, cuts) => {
        const wire = concat([...payloads.flatMap((p) => [enc.encode(`${p.length.toString(16)}\r\n`), p, enc.encode("\r\n")]), enc.encode("0\r\n\r\n")]);
        const decoder = new ChunkedDecoder();
        const got = chunked(wire, cuts).flatMap((c) => decoder.push(c).map((p) => p.slice()));
        expect(Buffer.from(concat(got)).equals(Buffer.from(concat(payloads)))).toBe(true);
        expect(decoder.done).toBe(true);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(biasedBytes([...'0123456789abcdef;\r\n'].map((c) => c.charCodeAt(0))), cutsArb, (bytes, cuts) => {
        const decoder = new ChunkedDecoder();
        typed(() => chunked(bytes, cuts).forEach((c) => decoder.push(c)), DockerStreamError);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("pushInPlace gives what push gives, as one piece, and refuses what push refuses", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 8 }), cutsArb, fc.boolean(), (payloads, cuts, upper) => {
        const size = (n: number) => (upper ? n.toString(16).toUpperCase() : n.toString(16).padStart(3, "0"));
        const wire = concat([...payloads.flatMap((p) => [enc.encode(`${size(p.length)}\r\n`), p, enc.encode("\r\n")]), enc.encode("0\r\n\r\n")]);
        const decoder = new ChunkedDecoder();
        const got = chunked(wire, cuts).map((c) => decoder.pushInPlace(c.slice()).slice());
        expect(Buffer.from(concat(got)).equals(Buffer.from(concat(payloads)))).toBe(true);
        expect(decoder.done).toBe(true);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(biasedBytes([...'0123456789abcdefABCDEF;\r\n'].map((c) => c.charCodeAt(0))), cutsArb, (bytes, cuts) => {
        const viaPush = new ChunkedDecoder();
        const inPlace = new ChunkedDecoder();
        let expected: Uint8Array[] | Error;
        try {
          expected = chunked(bytes, cuts).map((c) => concat(viaPush.push(c).map((p) => p.slice())));
        } catch (err) {
          expected = err as Error;
        }
        let actual: Uint8Array[] | Error;
        try {
          actual = chunked(bytes, cuts).map((c) => inPlace.pushInPlace(c.slice()).slice());
        } catch (err) {
          actual = err as Error;
        }
        if (expected instanceof Error) expect((actual as Error).message).toBe(expected.message);
        else expect((actual as Uint8Array[]).map((a) => Buffer.from(a).toString("hex"))).toEqual(expected.map((e) => Buffer.from(e).toString("hex")));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("a chunk-size line longer than the limit is refused", () => {
    const decoder = new ChunkedDecoder();
    const error = typed(() => decoder.push(enc.encode("0".repeat(10_000))), DockerStreamError);
    expect(error?.message).toMatch(/line too long/);
  });
});

/** A duplex whose peer sends `chunks` and then EOF (or, with `endless`, keeps sending them). */
function fakeEngine(chunks: Uint8Array[], endless = false) {
  let i = 0;
  let pulled = 0;
  let closed = 0;
  const duplex: Duplex = {
    readable: new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (i < chunks.length || endless) {
            const chunk = chunks[i++ % chunks.length];
            pulled += chunk.length;
            c.enqueue(chunk);
          } else c.close();
        },
      },
      { highWaterMark: 0 },
    ),
    writable: new WritableStream<Uint8Array>(),
    close() {
      closed++;
    },
  };
  return { duplex, stats: () => ({ pulled, closed }) };
}

describe("fuzz: upgrade handshake", () => {
  const request = { method: "POST", path: "/v1.41/containers/x/attach?stream=1", headers: {} };

  async function handshake(bytes: Uint8Array, cuts: number[]) {
    const { duplex, stats } = fakeEngine(chunked(bytes, cuts));
    const error = await typedAsync(async () => {
      const conn = await upgrade(duplex, request, { maxHeadBytes: 1024 });
      const reader = conn.readable.getReader();
      for (;;) if ((await reader.read()).done) break;
      conn.close();
    });
    return { error, stats: stats() };
  }

  it("random replies: an upgraded stream or a DockerError, and the connection closed on failure", async () => {
    await fc.assert(
      fc.asyncProperty(biasedBytes(headAlphabet, 400), cutsArb, async (bytes, cuts) => {
        const { error, stats } = await handshake(bytes, cuts);
        if (error) expect(stats.closed).toBeGreaterThan(0);
      }),
      { numRuns: RUNS, timeout: HANG },
    );
  });

  it("valid heads followed by random bodies: the same", async () => {
    await fc.assert(
      fc.asyncProperty(validHeadArb, biasedBytes(headAlphabet, 300), cutsArb, async (head, body, cuts) => {
        await handshake(concat([enc.encode(head.text), body]), cuts);
      }),
      { numRuns: RUNS, timeout: HANG },
    );
  });

  it("framing headers (Content-Length, chunked, 101, 204, errors) with random bodies", async () => {
    const framedArb = fc
      .tuple(
        fc.constantFrom(100, 101, 200, 201, 204, 304, 404, 500),
        fc.subarray(["Content-Length: 5", "Content-Length: 5, 5", "Content-Length: 5, 6", "Content-Length: -1", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip", "Content-Type: application/json", "Content-Type: application/vnd.docker.multiplexed-stream"]),
        biasedBytes([...'0123456789abcdef\r\n{"message":"x"}'].map((c) => c.charCodeAt(0)), 300),
      )
      .map(([status, headers, body]) => concat([enc.encode(`HTTP/1.1 ${status} X\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`), body]));
    await fc.assert(
      fc.asyncProperty(fc.array(framedArb, { minLength: 1, maxLength: 2 }), cutsArb, async (replies, cuts) => {
        await handshake(concat(replies), cuts);
      }),
      { numRuns: RUNS, timeout: HANG },
    );
  });

  it("a head that never ends is refused once it passes maxHeadBytes, having read little more", async () => {
    for (const filler of ["HTTP/1.1 200 OK\r\nX-Long: ", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 101 UPGRADED\r\nA: b\r\n"]) {
      const { duplex, stats } = fakeEngine(
        [enc.encode(filler), ...Array.from({ length: 3 }, () => enc.encode(filler.endsWith(": ") ? "a".repeat(700) : "X-Many: header\r\n"))],
        true,
      );
      const error = await typedAsync(() => upgrade(duplex, request, { maxHeadBytes: 8 * 1024 }), DockerStreamError);
      expect(error?.message).toMatch(/exceeds 8192 bytes/);
      expect(stats().pulled).toBeLessThan(8 * 1024 + 1024);
      expect(stats().closed).toBeGreaterThan(0);
    }
  });
});
