// Workload 5: the demultiplexers alone, fed synthetic frames from memory in socket-sized chunks.
// The rate is input bytes (headers + payload) per second. Each implementation gets the same bytes
// and a time budget; an implementation that falls over (docker-modem recurses once per frame) is
// reported with how far it got.

import { EventEmitter } from "node:events";
import process from "node:process";

const MiB = 1024 * 1024;

/** `frames` frames of `size` payload bytes, stdout, with every 16th frame on stderr. */
export function syntheticStream(frameSize, totalBytes) {
  const frame = 8 + frameSize;
  const count = Math.max(1, Math.floor(totalBytes / frame));
  const buf = Buffer.alloc(count * frame);
  for (let i = 0, o = 0; i < count; i++, o += frame) {
    buf[o] = i % 16 === 15 ? 2 : 1;
    buf.writeUInt32BE(frameSize, o + 4);
    buf.fill(97 + (i % 26), o + 8, o + frame);
  }
  return { buf, payload: count * frameSize };
}

/** Socket-like chunks: distinct Buffers of `size` bytes (the last one shorter). */
export function chunked(buf, size) {
  const chunks = [];
  for (let o = 0; o < buf.length; o += size) chunks.push(Buffer.from(buf.subarray(o, o + size)));
  return chunks;
}

/**
 * The chunks as a ReadableStream pulled one chunk at a time, as a socket delivers them; `seen.input`
 * counts the bytes pulled so far.
 */
export function chunkSource(chunks, seen = { input: 0 }) {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i === chunks.length) return c.close();
      seen.input += chunks[i].length;
      c.enqueue(chunks[i++]);
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads `readable` (anything with getReader(): of frames, or of bytes when `frames` is false) to its
 * end, or until `deadline`; then it stops reading by cancelling, as a reader that breaks out of a
 * loop does (closing the source mid-frame would be reported as a truncated stream).
 */
async function readToEnd(readable, seen, deadline, frames = true) {
  const reader = readable.getReader();
  let payload = 0;
  let reads = 0;
  for (;;) {
    if ((++reads & 63) === 0 && performance.now() > deadline) {
      await reader.cancel();
      return { input: seen.input, payload, complete: false, floor: !frames };
    }
    const { done, value } = await reader.read();
    if (done) break;
    if (frames) payload += value.data.length;
  }
  return { input: seen.input, payload, complete: true, floor: !frames };
}

const IMPLEMENTATIONS = {
  /** berth's public streaming API: a WHATWG pipeline, what `for await (const f of output)` runs. */
  async "berth demuxStream"(chunks, deadline, { berthModule }) {
    const { demuxStream } = await import(berthModule);
    const seen = { input: 0 };
    return readToEnd(chunkSource(chunks, seen).pipeThrough(demuxStream()), seen, deadline);
  },

  /** berth's `for await` over an OutputStream of a body (what logs, exec and attach output run). */
  async "berth OutputStream"(chunks, deadline, { berthModule }) {
    const { OutputStream } = await import(berthModule);
    const seen = { input: 0 };
    const output = OutputStream.ofBody(chunkSource(chunks, seen), true);
    // Iterated as `for await` does (OutputStream decodes in its iterator, with no stream between).
    const iterator = output[Symbol.asyncIterator]();
    return readToEnd({ getReader: () => ({ read: () => iterator.next(), cancel: () => output.cancel() }) }, seen, deadline);
  },

  /**
   * The floor of any WHATWG pipeline: the same source through an identity TransformStream (the
   * queues demuxStream uses), no decoding. Counts input bytes, so it is not a demultiplexer.
   */
  async "floor: identity TransformStream"(chunks, deadline) {
    const seen = { input: 0 };
    return readToEnd(chunkSource(chunks, seen).pipeThrough(new TransformStream({}, { highWaterMark: 4 }, { highWaterMark: 4 })), seen, deadline, false);
  },

  /** berth's decoder called directly (what the stream above wraps). */
  async "berth FrameDecoder"(chunks, deadline, { berthModule }) {
    const { FrameDecoder } = await import(berthModule);
    const decoder = new FrameDecoder();
    let payload = 0;
    let input = 0;
    const emit = (_stream, data) => (payload += data.length);
    let i = 0;
    for (; i < chunks.length; i++) {
      if ((i & 63) === 0 && performance.now() > deadline) break;
      decoder.push(chunks[i], emit);
      input += chunks[i].length;
    }
    if (i === chunks.length) decoder.end();
    return { input, payload, complete: i === chunks.length };
  },

  /** docker-modem's Modem#demuxStream (what dockerode users are told to call). */
  async "docker-modem"(chunks, deadline) {
    const { createRequire } = await import("node:module");
    const Modem = createRequire(import.meta.url)("docker-modem");
    const source = new EventEmitter();
    let payload = 0;
    const sink = { write: (b) => ((payload += b.length), true) };
    new Modem({ socketPath: "/nonexistent" }).demuxStream(source, sink, sink);
    let input = 0;
    let i = 0;
    try {
      for (; i < chunks.length; i++) {
        if ((i & 63) === 0 && performance.now() > deadline) break;
        source.emit("data", chunks[i]);
        input += chunks[i].length;
      }
    } catch (err) {
      return { input, payload, complete: false, error: err instanceof RangeError ? `stack overflow (${err.message}) at chunk ${i + 1}` : String(err) };
    }
    return { input, payload, complete: i === chunks.length };
  },

  /** @docker/node-sdk's demultiplexStream Writable. */
  async "node-sdk"(chunks, deadline) {
    const { demultiplexStream } = await import("@docker/node-sdk");
    let payload = 0;
    const sink = { write: (b) => ((payload += b.length), true) };
    const writable = demultiplexStream(sink, sink);
    let input = 0;
    let i = 0;
    let failure;
    writable.on("error", (err) => (failure = err));
    for (; i < chunks.length && !failure; i++) {
      if ((i & 63) === 0 && performance.now() > deadline) break;
      if (!writable.write(chunks[i])) await new Promise((r) => writable.once("drain", r));
      input += chunks[i].length;
    }
    await new Promise((r) => writable.end(r));
    if (failure) return { input, payload, complete: false, error: String(failure) };
    return { input, payload, complete: i === chunks.length };
  },
};

export const DEMUX_IMPLEMENTATIONS = Object.keys(IMPLEMENTATIONS);

/**
 * Every implementation on every case in one process, in rounds: each round runs each
 * implementation once (order rotating) on the case's input, within a time budget, and rates are
 * total input over total time. Load from elsewhere on the machine then falls on all of them alike.
 */
export async function demuxRun(task) {
  const out = {};
  for (const c of task.cases) {
    const { buf, payload: expected } = syntheticStream(c.frameSize, c.totalBytes);
    const chunks = chunked(buf, c.chunkSize);
    // Warm-up on 2 MiB (or 300 ms): the rates are then those of optimised code.
    const warm = chunks.slice(0, Math.ceil((2 * MiB) / c.chunkSize));
    const acc = {};
    for (const impl of task.impls) {
      acc[impl] = { input: 0, seconds: 0, complete: true, error: undefined };
      try {
        await IMPLEMENTATIONS[impl](warm, performance.now() + 300, task);
      } catch {
        // reported by the measured runs
      }
    }
    for (let r = 0; r < task.rounds; r++) {
      for (let k = 0; k < task.impls.length; k++) {
        const impl = task.impls[(k + r) % task.impls.length];
        const a = acc[impl];
        if (a.error) continue;
        globalThis.gc?.();
        const t0 = performance.now();
        let res;
        try {
          res = await IMPLEMENTATIONS[impl](chunks, t0 + task.budgetMs, task);
        } catch (err) {
          res = { input: 0, payload: 0, complete: false, error: String(err) };
        }
        const seconds = (performance.now() - t0) / 1000;
        if (res.error) {
          a.error = res.error;
          continue;
        }
        if (res.complete && !res.floor && res.payload !== expected) throw new Error(`${impl}: ${res.payload} payload bytes out, expected ${expected}`);
        a.input += res.input;
        a.seconds += seconds;
        if (!res.complete) a.complete = false;
      }
    }
    for (const impl of task.impls) {
      const a = acc[impl];
      out[`${impl}|${c.name}`] = {
        mbps: a.error || a.seconds === 0 ? null : a.input / MiB / a.seconds,
        complete: a.complete && !a.error,
        processedMiB: a.input / MiB / task.rounds,
        totalMiB: c.totalBytes / MiB,
        error: a.error,
      };
    }
  }
  return { results: out, rssMiB: process.memoryUsage().rss / MiB };
}
