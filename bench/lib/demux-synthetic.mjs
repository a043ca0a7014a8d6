// Workload 5: the demultiplexers alone, fed synthetic frames from memory in socket-sized chunks.
// The rate is input bytes (headers + payload) per second. Each implementation gets the same bytes,
// repeated until the run has lasted a minimum time, and a time budget for the first pass; an
// implementation that falls over (docker-modem recurses once per frame) or does not finish a pass
// is reported with how far it got.

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
 * The case's chunks, fed as one continuous stream that repeats them: pass after pass until a pass
 * ends at or after `minEnd`, so each measured run lasts long enough for the JIT's warm-up after
 * the collection between runs to be a small part of it, as in a long-lived stream. A run whose
 * first pass is still going at `deadline` is cut (`cut`): the rate is then over what it processed.
 * The input is whole frames, so any number of passes is a valid multiplexed stream.
 */
export class Feed {
  constructor(chunks, { minEnd = 0, deadline = Infinity } = {}) {
    this.chunks = chunks;
    this.minEnd = minEnd;
    this.deadline = deadline;
    this.i = 0;
    this.count = 0;
    this.passes = 0;
    this.input = 0;
    this.cut = false;
  }

  /** The next chunk, or null when the run is over (ended after a whole pass, or cut). */
  next() {
    if (this.i === this.chunks.length) {
      this.passes++;
      if (performance.now() >= this.minEnd) return null;
      this.i = 0;
    }
    if (this.passes === 0 && (++this.count & 63) === 0 && performance.now() > this.deadline) {
      this.cut = true;
      return null;
    }
    const chunk = this.chunks[this.i++];
    this.input += chunk.length;
    return chunk;
  }

  result(payload, extra = {}) {
    return { input: this.input, payload, passes: this.passes, complete: !this.cut, ...extra };
  }
}

const CUT = new Error("time budget spent");

/**
 * The chunks as a ReadableStream pulled one chunk at a time, as a socket delivers them: a Feed, or
 * an array read once. A cut feed errors the stream (closing it mid-frame would be reported as a
 * truncated stream).
 */
export function chunkSource(source) {
  const feed = Array.isArray(source) ? new Feed(source) : source;
  return new ReadableStream({
    pull(c) {
      const chunk = feed.next();
      if (chunk !== null) c.enqueue(chunk);
      else if (feed.cut) c.error(CUT);
      else c.close();
    },
  }, { highWaterMark: 0 });
}

/** Reads `readable` (of frames, or of bytes when `frames` is false) to its end or its cut. */
async function readToEnd(readable, feed, frames = true) {
  const reader = readable.getReader();
  let payload = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (frames) payload += value.data.length;
    }
  } catch (err) {
    if (err !== CUT && !feed.cut) throw err;
  }
  return feed.result(payload, { floor: !frames });
}

const IMPLEMENTATIONS = {
  /** berth's public streaming API: a WHATWG pipeline, what `for await (const f of output)` runs. */
  async "berth demuxStream"(feed, { berthModule }) {
    const { demuxStream } = await import(berthModule);
    return readToEnd(chunkSource(feed).pipeThrough(demuxStream()), feed);
  },

  /** berth's `for await` over an OutputStream of a body (what logs, exec and attach output run). */
  async "berth OutputStream"(feed, { berthModule }) {
    const { OutputStream } = await import(berthModule);
    const output = OutputStream.ofBody(chunkSource(feed), true);
    // Iterated as `for await` does (OutputStream decodes in its iterator, with no stream between).
    const iterator = output[Symbol.asyncIterator]();
    return readToEnd({ getReader: () => ({ read: () => iterator.next() }) }, feed);
  },

  /**
   * The floor of any WHATWG pipeline: the same source through an identity TransformStream (the
   * queues demuxStream uses), no decoding. Counts input bytes, so it is not a demultiplexer.
   */
  async "floor: identity TransformStream"(feed) {
    return readToEnd(chunkSource(feed).pipeThrough(new TransformStream({}, { highWaterMark: 4 }, { highWaterMark: 4 })), feed, false);
  },

  /** berth's decoder called directly (what the stream above wraps). */
  async "berth FrameDecoder"(feed, { berthModule }) {
    const { FrameDecoder } = await import(berthModule);
    const decoder = new FrameDecoder();
    let payload = 0;
    const emit = (_stream, data) => (payload += data.length);
    for (let chunk; (chunk = feed.next()) !== null; ) decoder.push(chunk, emit);
    if (!feed.cut) decoder.end();
    return feed.result(payload);
  },

  /** docker-modem's Modem#demuxStream (what dockerode users are told to call). */
  async "docker-modem"(feed) {
    const { createRequire } = await import("node:module");
    const Modem = createRequire(import.meta.url)("docker-modem");
    const source = new EventEmitter();
    let payload = 0;
    const sink = { write: (b) => ((payload += b.length), true) };
    new Modem({ socketPath: "/nonexistent" }).demuxStream(source, sink, sink);
    try {
      for (let chunk; (chunk = feed.next()) !== null; ) source.emit("data", chunk);
    } catch (err) {
      const at = feed.passes * feed.chunks.length + feed.i;
      return feed.result(payload, { complete: false, error: err instanceof RangeError ? `stack overflow (${err.message}) at chunk ${at}` : String(err) });
    }
    return feed.result(payload);
  },

  /** @docker/node-sdk's demultiplexStream Writable. */
  async "node-sdk"(feed) {
    const { demultiplexStream } = await import("@docker/node-sdk");
    let payload = 0;
    const sink = { write: (b) => ((payload += b.length), true) };
    const writable = demultiplexStream(sink, sink);
    let failure;
    writable.on("error", (err) => (failure = err));
    for (let chunk; !failure && (chunk = feed.next()) !== null; ) {
      if (!writable.write(chunk)) await new Promise((r) => writable.once("drain", r));
    }
    await new Promise((r) => writable.end(r));
    if (failure) return feed.result(payload, { complete: false, error: String(failure) });
    return feed.result(payload);
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
        await IMPLEMENTATIONS[impl](new Feed(warm, { deadline: performance.now() + 300 }), task);
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
          res = await IMPLEMENTATIONS[impl](new Feed(chunks, { minEnd: t0 + task.minRunMs, deadline: t0 + task.budgetMs }), task);
        } catch (err) {
          res = { input: 0, payload: 0, complete: false, error: String(err) };
        }
        const seconds = (performance.now() - t0) / 1000;
        if (res.error) {
          a.error = res.error;
          continue;
        }
        if (res.complete && !res.floor && res.payload !== expected * res.passes) {
          throw new Error(`${impl}: ${res.payload} payload bytes out of ${res.passes} passes, expected ${expected * res.passes}`);
        }
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
