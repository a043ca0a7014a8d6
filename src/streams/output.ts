// What users iterate for logs, attach and exec output: demuxed frames with helpers to collect
// text, split stdout from stderr, or read lines with their timestamps.

import { DockerStreamError } from "../errors.ts";
import { bodyOf, concatBytes, decodeUtf8 } from "./bytes.ts";
import { FrameDecoder, STREAM_COALESCE_BELOW, demuxStream, isMultiplexed, rawStream, type Frame, type StreamName } from "./demux.ts";
import { DEFAULT_MAX_LINE_LENGTH } from "./json-lines.ts";

export type { Frame, StreamName } from "./demux.ts";

/** A line of output. `timestamp` is set when the logs were asked for with `timestamps: true`. */
export interface OutputLine {
  stream: StreamName;
  line: string;
  timestamp?: Date;
  /** The timestamp text as the engine wrote it (RFC 3339 with nanoseconds). */
  timestampText?: string;
}

export interface LinesOptions {
  /** Longest line accepted, in bytes (newline excluded); a longer one is a DockerStreamError. Default 16 MiB. */
  maxLineLength?: number;
}

/**
 * An async iterable of `{ stream, data }` frames. Breaking out of a `for await`, calling
 * `cancel()`, or aborting the signal the stream was opened with releases the connection.
 * A stream can be consumed once.
 */
export class OutputStream implements AsyncIterable<Frame> {
  #readable: ReadableStream<Frame> | null;
  /** A response body not yet framed: read and decoded in place, without a stream per hop. */
  #body: ReadableStream<Uint8Array> | null = null;
  #multiplexed = false;
  readonly #timestamps: boolean;
  readonly #held: HeldReader<unknown> = { reader: null };

  constructor(readable: ReadableStream<Frame>, options: { timestamps?: boolean } = {}) {
    this.#readable = readable;
    this.#timestamps = options.timestamps ?? false;
  }

  /** Output read straight from a body: iteration and collection decode its chunks in place. */
  static ofBody(body: ReadableStream<Uint8Array>, multiplexed: boolean, options: { timestamps?: boolean } = {}): OutputStream {
    const output = new OutputStream(null as unknown as ReadableStream<Frame>, options);
    output.#readable = null;
    output.#body = body;
    output.#multiplexed = multiplexed;
    return output;
  }

  /** The frames as a WHATWG stream, for piping. */
  get readable(): ReadableStream<Frame> {
    return (this.#readable ??= this.#body!.pipeThrough(this.#multiplexed ? demuxStream() : rawStream()));
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    if (this.#readable === null) return decodeBody(this.#body!, this.#multiplexed, this.#held);
    return iterate(this.#readable, this.#held);
  }

  /**
   * Stops reading and releases the connection. A `for await` reading this stream (or `lines()`,
   * `text()`, ...) ends as if it had reached the end: no error, the rest is not read.
   */
  async cancel(reason?: unknown): Promise<void> {
    await cancelHeld<unknown>(this.#readable ?? this.#body!, this.#held, reason);
  }

  /** Everything, stdout and stderr interleaved in arrival order, as bytes per stream. */
  async bytes(): Promise<{ stdout: Uint8Array; stderr: Uint8Array }> {
    if (this.#readable === null) return collectBody(this.#body!, this.#multiplexed, this.#held);
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    for await (const frame of this) (frame.stream === "stdout" ? out : err).push(frame.data);
    return { stdout: join(out), stderr: join(err) };
  }

  /** stdout and stderr collected separately, as text (each decoded once, at the end). */
  async collect(): Promise<{ stdout: string; stderr: string }> {
    const { stdout, stderr } = await this.bytes();
    return { stdout: decodeUtf8(stdout), stderr: decodeUtf8(stderr) };
  }

  /** All output as one text, stdout and stderr interleaved in arrival order. */
  async text(): Promise<string> {
    const pieces: Uint8Array[] = [];
    for await (const frame of this) pieces.push(frame.data);
    return decodeUtf8(join(pieces));
  }

  /**
   * Lines of each stream (a line split across frames is joined; stdout and stderr are split
   * independently). With `timestamps: true` logs, each line's timestamp is parsed off its front.
   * A line longer than `maxLineLength` bytes (default 16 MiB) fails the iteration with a
   * DockerStreamError and releases the connection; read the frames themselves for unbounded lines.
   */
  async *lines(options: LinesOptions = {}): AsyncGenerator<OutputLine, void, undefined> {
    const max = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!(max > 0)) throw new RangeError(`maxLineLength must be a positive number, got ${max}`);
    const pending: Record<StreamName, Uint8Array[]> = { stdout: [], stderr: [] };
    const pendingLength: Record<StreamName, number> = { stdout: 0, stderr: 0 };
    const tooLong = (stream: StreamName, length: number, atLeast: boolean) =>
      new DockerStreamError(`${stream} line of ${atLeast ? "at least " : ""}${length} bytes exceeds the ${max}-byte limit (maxLineLength)`);
    for await (const { stream, data } of this) {
      // One decode per frame, up to its last newline, rather than one per line: a followed log
      // arrives as frames of many lines, and decoding is the costly part. Splitting the text at
      // "\n" is safe because in UTF-8 that byte never occurs inside a character.
      const last = data.lastIndexOf(10);
      if (last === -1) {
        if (data.length) {
          const total = pendingLength[stream] + data.length;
          if (total > max) throw tooLong(stream, total, true);
          // Copied: the source may reuse its buffer.
          pending[stream].push(data.slice());
          pendingLength[stream] = total;
        }
        continue;
      }
      const first = pendingLength[stream] === 0 ? -1 : data.indexOf(10);
      if (first !== -1 && pendingLength[stream] + first > max) throw tooLong(stream, pendingLength[stream] + first, false);
      if (last - (first + 1) > max) {
        // Only worth walking the lines one by one when the frame could hide an oversize line.
        for (let from = first + 1; from <= last; ) {
          const nl = data.indexOf(10, from);
          if (nl - from > max) throw tooLong(stream, nl - from, false);
          from = nl + 1;
        }
      }
      const parts = pending[stream];
      let text: string;
      if (parts.length) {
        parts.push(data.subarray(0, last));
        text = decodeUtf8(concatBytes(parts));
        pending[stream] = [];
        pendingLength[stream] = 0;
      } else {
        text = decodeUtf8(data.subarray(0, last));
      }
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        yield this.#line(stream, text.slice(start, nl));
        start = nl + 1;
      }
      yield this.#line(stream, start === 0 ? text : text.slice(start));
      if (last + 1 < data.length) {
        const rest = data.length - last - 1;
        if (rest > max) throw tooLong(stream, rest, true);
        pending[stream].push(data.slice(last + 1));
        pendingLength[stream] = rest;
      }
    }
    for (const stream of ["stdout", "stderr"] as const) {
      if (pending[stream].length) yield this.#line(stream, decodeUtf8(concatBytes(pending[stream])));
    }
  }

  #line(stream: StreamName, text: string): OutputLine {
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (!this.#timestamps) return { stream, line: text };
    const space = text.indexOf(" ");
    const stamp = space === -1 ? text : text.slice(0, space);
    return { stream, line: space === -1 ? "" : text.slice(space + 1), timestamp: parseTimestamp(stamp), timestampText: stamp };
  }
}

/**
 * The output of a logs (or non-hijacked exec) response: demultiplexed unless the process has a
 * TTY, which decides when the engine's content type does not (API 1.41 says raw-stream for both).
 */
export function outputOf(response: { readonly body: ReadableStream<Uint8Array> | null; readonly headers: { get(name: string): string | null } }, tty: boolean, options: { timestamps?: boolean } = {}): OutputStream {
  return OutputStream.ofBody(bodyOf(response), isMultiplexed(response.headers.get("content-type"), tty), options);
}

/**
 * Iterates a body's frames, decoding each chunk as it is read: one read of the body per chunk,
 * then one step of the loop per run of a stream in it (the decoder merges a chunk's small frames
 * of one stream), with no stream in between.
 */
async function* decodeBody(body: ReadableStream<Uint8Array>, multiplexed: boolean, held: HeldReader<unknown>): AsyncGenerator<Frame, void, undefined> {
  const reader = body.getReader();
  held.reader = reader;
  const decoder = multiplexed ? new FrameDecoder({}, STREAM_COALESCE_BELOW) : null;
  let frames: Frame[] = [];
  const emit = (stream: StreamName, data: Uint8Array) => void frames.push({ stream, data });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        decoder?.end();
        finished = true;
        return;
      }
      if (decoder === null) {
        if (value.length !== 0) yield { stream: "stdout", data: value };
        continue;
      }
      decoder.push(value, emit);
      if (frames.length === 0) continue;
      const ready = frames;
      frames = [];
      for (let i = 0; i < ready.length; i++) yield ready[i];
    }
  } finally {
    if (held.reader === reader) held.reader = null;
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Reads a body to its end into stdout and stderr bytes: chunks go through the decoder straight
 * into two lists of pieces, joined once at the end. No Frame objects, no stream, no text.
 */
async function collectBody(body: ReadableStream<Uint8Array>, multiplexed: boolean, held: HeldReader<unknown>): Promise<{ stdout: Uint8Array; stderr: Uint8Array }> {
  const reader = body.getReader();
  held.reader = reader;
  // The decoder's own threshold: pieces of 4 KiB and more stay views (they are copied once, at the end).
  const decoder = multiplexed ? new FrameDecoder() : null;
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const emit = (stream: StreamName, data: Uint8Array) => void (stream === "stdout" ? out : err).push(data);
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (decoder === null) {
        if (value.length !== 0) out.push(value);
      } else {
        decoder.push(value, emit);
      }
    }
    decoder?.end();
    finished = true;
  } catch (error) {
    finished = true;
    await reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    if (held.reader === reader) held.reader = null;
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  return { stdout: join(out), stderr: join(err) };
}

/**
 * Parses the engine's RFC 3339 timestamps (`2024-05-01T10:00:00.123456789Z`); Date keeps
 * milliseconds, `timestampText` keeps the rest.
 */
export function parseTimestamp(text: string): Date | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return undefined;
  const millis = m[2] ? m[2].slice(0, 4).padEnd(4, "0") : "";
  const date = new Date(`${m[1]}${millis}${m[3]}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function join(pieces: Uint8Array[]): Uint8Array {
  return pieces.length === 0 ? new Uint8Array(0) : concatBytes(pieces);
}

/** The reader an iterator of a stream object holds, so that the object's cancel() can reach it. */
/** (`T` is the item type of the stream read; the reader is only ever cancelled through this.) */
export interface HeldReader<_T> {
  reader: { cancel(reason?: unknown): Promise<void> } | null;
}

/**
 * Async iteration over a ReadableStream that cancels it when the loop ends early. (Not every
 * runtime implements ReadableStream's own async iterator, and Safari lacks it.) With `held`, the
 * reader is published there while the loop runs: see cancelHeld.
 */
export async function* iterate<T>(readable: ReadableStream<T>, held?: HeldReader<unknown>): AsyncGenerator<T, void, undefined> {
  const reader = readable.getReader();
  if (held) held.reader = reader;
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } catch (err) {
    finished = true;
    throw err;
  } finally {
    if (held?.reader === reader) held.reader = null;
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Cancels a stream that one of its object's own iterators may be reading. `readable.cancel()`
 * rejects on a locked stream, so while a loop holds the reader the cancel goes through that
 * reader: its pending read resolves as done at once (the loop ends), and the cancel travels up to
 * the response body, which closes the connection. A stream locked by a reader of your own, or by
 * `pipeTo`, is stopped through that reader or the pipe's signal instead.
 */
export async function cancelHeld<T>(readable: ReadableStream<T>, held: HeldReader<unknown>, reason?: unknown): Promise<void> {
  const reader = held.reader;
  if (reader) await reader.cancel(reason).catch(() => {});
  else await readable.cancel(reason).catch(() => {});
}
