// What users iterate for logs, attach and exec output: demuxed frames with helpers to collect
// text, split stdout from stderr, or read lines with their timestamps.

import { DockerStreamError } from "../errors/errors.ts";
import { bodyOf, concatBytes, decodeUtf8 } from "./bytes.ts";
import { demuxStream, isMultiplexed, rawStream, type Frame, type StreamName } from "./demux.ts";
import { DEFAULT_MAX_LINE_LENGTH } from "./json-lines.ts";
import { PieceSource, PulledIterator, type Take } from "./output-source.ts";
import { TextCollector, continuationDecoder } from "./text-collector.ts";

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
 *
 * Frame boundaries are not the engine's: what arrives together is delivered together, so
 * adjacent frames of one stream read in one go come out as one Frame (a long frame may come out
 * as several). The order of the bytes of each stream, and of the switches between stdout and
 * stderr, is exactly the order written.
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
    return this.#iterate<Frame>((frames) => (stream, data) => void frames.push({ stream, data }));
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
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    // Pieces of 4 KiB and more stay views of the body's chunks, copied once by join().
    await this.#readAll((stream, data) => void (stream === "stdout" ? out : err).push(data));
    return { stdout: join(out), stderr: join(err) };
  }

  /**
   * stdout and stderr collected separately, as text. Each stream's bytes are gathered into one
   * buffer and decoded once at the end (UTF-8 characters split across frames are whole again),
   * straight into a flat string; the buffer is let go as soon as the text is made, so a collected
   * output holds its text, and at its peak, for that one step, its text and its bytes. (Where
   * ArrayBuffers cannot grow in place, and beyond 512 MiB, the bytes are decoded in blocks as
   * they arrive.)
   */
  async collect(): Promise<{ stdout: string; stderr: string }> {
    const out = new TextCollector();
    const err = new TextCollector();
    await this.#readAll((stream, data) => (stream === "stdout" ? out : err).add(data), [out, err]);
    return { stdout: out.finish(), stderr: err.finish() };
  }

  /** All output as one text, stdout and stderr interleaved in arrival order (decoded as one UTF-8 stream). */
  async text(): Promise<string> {
    const all = new TextCollector();
    await this.#readAll((_stream, data) => all.add(data), [all]);
    return all.finish();
  }

  /**
   * Lines of each stream (a line split across frames is joined; stdout and stderr are split
   * independently). With `timestamps: true` logs, each line's timestamp is parsed off its front.
   * A line longer than `maxLineLength` bytes (default 16 MiB) fails the iteration with a
   * DockerStreamError and releases the connection; read the frames themselves for unbounded lines.
   */
  lines(options: LinesOptions = {}): AsyncGenerator<OutputLine, void, undefined> {
    const max = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!(max > 0)) throw new RangeError(`maxLineLength must be a positive number, got ${max}`);
    const splitter = new LineSplitter(max, this.#timestamps);
    // A PulledIterator has every member of a generator (next, return, throw, asyncIterator, and
    // asyncDispose where the runtime has it): see output-source.ts for why it is not declared so.
    return this.#iterate<OutputLine>(
      (lines) => (stream, data) => splitter.split(stream, data, lines),
      (lines) => splitter.finish(lines),
    ) as unknown as AsyncGenerator<OutputLine, void, undefined>;
  }

  /** The source of this output's pieces, published for cancel() until it is done with. */
  #source(): PieceSource {
    const source = this.#readable !== null ? new PieceSource(this.#readable, true, false) : new PieceSource(this.#body!, false, this.#multiplexed);
    this.#held.reader = source;
    return source;
  }

  #iterate<T>(take: (items: T[]) => Take, finish?: (items: T[]) => void): PulledIterator<T> {
    const source = this.#source();
    return new PulledIterator<T>(source, take, finish, () => {
      if (this.#held.reader === source) this.#held.reader = null;
    });
  }

  /**
   * Reads to the end, handing each piece to `take`: no Frame objects, no stream in between. On a
   * failure the collectors' buffers are let go at once.
   */
  async #readAll(take: Take, collectors: TextCollector[] = []): Promise<void> {
    const source = this.#source();
    try {
      while (await source.pull(take));
    } catch (error) {
      for (const collector of collectors) collector.discard();
      throw error;
    } finally {
      if (this.#held.reader === source) this.#held.reader = null;
    }
  }
}

/**
 * Splits each stream's pieces into lines, carrying a partial line per stream from one piece to
 * the next. One decode per piece, up to its last newline, rather than one per line: a followed
 * log arrives as pieces of many lines, and decoding is the costly part. Splitting the text at
 * "\n" is safe because in UTF-8 that byte never occurs inside a character, and decoding a line's
 * bytes apart from the rest gives the same text (a sequence cut by the newline ends in one U+FFFD
 * either way).
 *
 * A partial line is copied into a buffer kept per stream (the source may reuse its own), and the
 * piece that ends it adds its first line's bytes there: that line is decoded from the buffer, the
 * rest of the piece in place. Pieces are often a few lines each (a reader keeping up with a log
 * gets what arrived since its last read), and most of them end inside a line: joining the two
 * parts into fresh arrays cost more than all the splitting.
 */
class LineSplitter {
  readonly #max: number;
  readonly #timestamps: boolean;
  /** Per stream (0 stdout, 1 stderr): the bytes of a line not yet ended, and how many. */
  readonly #pending: [Uint8Array, Uint8Array] = [NO_BYTES, NO_BYTES];
  readonly #pendingLength = [0, 0];
  /** Per stream: whether text has been decoded (a byte order mark is dropped only before that). */
  readonly #started = [false, false];

  constructor(max: number, timestamps: boolean) {
    this.#max = max;
    this.#timestamps = timestamps;
  }

  split(stream: StreamName, data: Uint8Array, lines: OutputLine[]): void {
    const s = stream === "stdout" ? 0 : 1;
    const max = this.#max;
    const held = this.#pendingLength[s];
    const last = data.lastIndexOf(10);
    if (last === -1) {
      if (data.length) {
        const total = held + data.length;
        if (total > max) throw this.#tooLong(stream, total, true);
        this.#hold(s, data);
      }
      return;
    }
    const first = held === 0 ? -1 : data.indexOf(10);
    if (first !== -1 && held + first > max) throw this.#tooLong(stream, held + first, false);
    if (last - (first + 1) > max) {
      // Only worth walking the lines one by one when the piece could hide an oversize line.
      for (let from = first + 1; from <= last; ) {
        const nl = data.indexOf(10, from);
        if (nl - from > max) throw this.#tooLong(stream, nl - from, false);
        from = nl + 1;
      }
    }
    const timestamps = this.#timestamps;
    if (first !== -1) {
      this.#hold(s, data.subarray(0, first));
      let line = this.#decode(s, this.#pending[s].subarray(0, this.#pendingLength[s]));
      this.#release(s);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      lines.push(timestamps ? stamped(stream, line) : { stream, line });
    }
    if (first !== last) {
      const text = this.#decode(s, data.subarray(first + 1, last));
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        // A CR before the newline (CRLF) is dropped.
        const end = nl !== start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        const line = text.slice(start, end);
        lines.push(timestamps ? stamped(stream, line) : { stream, line });
        start = nl + 1;
      }
      const end = text.length !== start && text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
      const line = start === 0 && end === text.length ? text : text.slice(start, end);
      lines.push(timestamps ? stamped(stream, line) : { stream, line });
    }
    if (last + 1 < data.length) {
      const rest = data.length - last - 1;
      if (rest > max) throw this.#tooLong(stream, rest, true);
      this.#hold(s, data.subarray(last + 1));
    }
  }

  /** The last line of each stream, where it did not end with a newline. */
  finish(lines: OutputLine[]): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const s = stream === "stdout" ? 0 : 1;
      if (this.#pendingLength[s] === 0) continue;
      let line = this.#decode(s, this.#pending[s].subarray(0, this.#pendingLength[s]));
      this.#release(s);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      lines.push(this.#timestamps ? stamped(stream, line) : { stream, line });
    }
  }

  /** Appends to the stream's partial line, growing its buffer (bounded by maxLineLength, checked before). */
  #hold(s: 0 | 1, bytes: Uint8Array): void {
    const length = this.#pendingLength[s];
    let buffer = this.#pending[s];
    if (length + bytes.length > buffer.length) {
      const grown = new Uint8Array(Math.max(length + bytes.length, buffer.length * 2, 256));
      grown.set(buffer.subarray(0, length));
      this.#pending[s] = buffer = grown;
    }
    buffer.set(bytes, length);
    this.#pendingLength[s] = length + bytes.length;
  }

  /** The partial line is done with; a buffer grown large for a long line is let go. */
  #release(s: 0 | 1): void {
    this.#pendingLength[s] = 0;
    if (this.#pending[s].length > KEPT_LINE_BUFFER) this.#pending[s] = NO_BYTES;
  }

  #decode(s: 0 | 1, bytes: Uint8Array): string {
    if (this.#started[s]) return continuationDecoder.decode(bytes);
    this.#started[s] = true;
    return decodeUtf8(bytes);
  }

  #tooLong(stream: StreamName, length: number, atLeast: boolean): DockerStreamError {
    return new DockerStreamError(`${stream} line of ${atLeast ? "at least " : ""}${length} bytes exceeds the ${this.#max}-byte limit (maxLineLength)`);
  }
}

const NO_BYTES = new Uint8Array(0);
/** The largest partial-line buffer kept for the next line; a larger one was for a rare long line. */
const KEPT_LINE_BUFFER = 64 * 1024;

/** A line of `timestamps: true` logs: the engine's timestamp and a space, then the text. */
function stamped(stream: StreamName, text: string): OutputLine {
  const space = text.indexOf(" ");
  const stamp = space === -1 ? text : text.slice(0, space);
  return { stream, line: space === -1 ? "" : text.slice(space + 1), timestamp: parseTimestamp(stamp), timestampText: stamp };
}

/**
 * The output of a logs (or non-hijacked exec) response: demultiplexed unless the process has a
 * TTY, which decides when the engine's content type does not (API 1.41 says raw-stream for both);
 * `undefined` leaves it to the content type (trusted from API 1.42).
 */
export function outputOf(response: { readonly body: ReadableStream<Uint8Array> | null; readonly headers: { get(name: string): string | null } }, tty: boolean | undefined, options: { timestamps?: boolean } = {}): OutputStream {
  return OutputStream.ofBody(bodyOf(response), isMultiplexed(response.headers.get("content-type"), tty), options);
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
