// Newline-delimited JSON, as the engine streams events, stats, and pull/push/build/load progress.
//
// Lines are cut on the 0x0A byte before any text decoding: in UTF-8 that byte never occurs inside a
// multi-byte character, so a character split across chunks is simply carried over with its line,
// and each run of complete lines in a chunk is decoded with one TextDecoder call.
//
// Two engine habits are handled here rather than by every caller:
// - progress streams report failure in-band, as `{"error": "...", "errorDetail": {...}}` with a
//   200 status; by default that becomes a DockerStreamError so a failed pull cannot look finished;
// - some builders write several objects on one line (`{...}{...}`); when a line does not parse
//   as one value it is split at top-level object/array boundaries and parsed piece by piece.

import { DockerStreamError } from "../errors/errors.ts";
import { concatBytes, decodeUtf8 } from "./bytes.ts";

export interface JsonLinesOptions {
  /** Turn an object carrying an `error` (progress streams) into a DockerStreamError. Default true. */
  errorOnInBandError?: boolean;
  /** Longest line accepted, in bytes; a longer one errors the stream. Default 16 MiB. */
  maxLineLength?: number;
}

export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024;
/** How much of an unparsable line an error message quotes. */
const QUOTE_LENGTH = 200;
const NEWLINE = 0x0a;

/**
 * The decoder behind jsonLines, usable without streams: `push` chunks, then `end` to parse a
 * final line that has no newline. After it throws, it keeps throwing the same error.
 */
export class JsonLineDecoder<T = unknown> {
  private readonly checkErrors: boolean;
  private readonly maxLineLength: number;
  /** Bytes of an unfinished line (copied: sources may reuse their chunks). */
  private carry: Uint8Array[] = [];
  private carryLength = 0;
  private failure: DockerStreamError | null = null;

  constructor(options: JsonLinesOptions = {}) {
    this.checkErrors = options.errorOnInBandError ?? true;
    const max = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!(max > 0)) throw new RangeError(`maxLineLength must be a positive number, got ${max}`);
    this.maxLineLength = max;
  }

  push(chunk: Uint8Array, emit: (value: T) => void): void {
    if (this.failure) throw this.failure;
    try {
      this.decode(chunk, emit);
    } catch (err) {
      throw this.fail(err);
    }
  }

  end(emit: (value: T) => void): void {
    if (this.failure) throw this.failure;
    try {
      if (this.carryLength !== 0) {
        const line = concatBytes(this.carry, this.carryLength);
        this.carry = [];
        this.carryLength = 0;
        this.line(decodeUtf8(line), emit);
      }
    } catch (err) {
      throw this.fail(err);
    }
  }

  private decode(chunk: Uint8Array, emit: (value: T) => void): void {
    const length = chunk.length;
    const max = this.maxLineLength;
    let start = 0;

    const first = chunk.indexOf(NEWLINE);
    if (first === -1) {
      this.keep(chunk);
      return;
    }
    if (this.carryLength !== 0) {
      // The line begun in earlier chunks ends here.
      const total = this.carryLength + first;
      if (total > max) throw this.tooLong(total);
      this.carry.push(chunk.subarray(0, first));
      const line = concatBytes(this.carry, total);
      this.carry = [];
      this.carryLength = 0;
      this.line(decodeUtf8(line), emit);
      start = first + 1;
    }

    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      if (last - start > max) {
        // Only worth walking the lines one by one when the block could hide an oversize line.
        for (let from = start; from <= last; ) {
          const nl = chunk.indexOf(NEWLINE, from);
          if (nl - from > max) throw this.tooLong(nl - from);
          from = nl + 1;
        }
      }
      const text = decodeUtf8(chunk.subarray(start, last));
      let from = 0;
      for (;;) {
        const nl = text.indexOf("\n", from);
        if (nl === -1) {
          this.line(text.slice(from), emit);
          break;
        }
        this.line(text.slice(from, nl), emit);
        from = nl + 1;
      }
      start = last + 1;
    }
    if (start < length) this.keep(chunk.subarray(start));
  }

  private keep(bytes: Uint8Array): void {
    const total = this.carryLength + bytes.length;
    if (total > this.maxLineLength) throw this.tooLong(total, true);
    this.carry.push(bytes.slice());
    this.carryLength = total;
  }

  private line(raw: string, emit: (value: T) => void): void {
    const text = raw.length !== 0 && raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (text.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (isBlank(text)) return;
      const pieces = splitConcatenated(text);
      if (pieces === null || pieces.length < 2) throw invalidJson(text, err);
      for (const piece of pieces) {
        let v: unknown;
        try {
          v = JSON.parse(piece);
        } catch (e) {
          throw invalidJson(piece, e);
        }
        this.deliver(v, emit);
      }
      return;
    }
    this.deliver(value, emit);
  }

  private deliver(value: unknown, emit: (value: T) => void): void {
    if (this.checkErrors) {
      const failure = inBandError(value);
      if (failure) throw failure;
    }
    emit(value as T);
  }

  private tooLong(length: number, atLeast = false): DockerStreamError {
    return new DockerStreamError(
      `JSON stream line of ${atLeast ? "at least " : ""}${length} bytes exceeds the ${this.maxLineLength}-byte limit`,
    );
  }

  private fail(err: unknown): DockerStreamError {
    this.carry = [];
    this.carryLength = 0;
    this.failure =
      err instanceof DockerStreamError
        ? err
        : new DockerStreamError(`JSON stream decoding failed: ${(err as Error)?.message ?? String(err)}`, undefined, {
            cause: err,
          });
    return this.failure;
  }
}

/**
 * Decodes newline-delimited JSON into one value per line. See JsonLinesOptions for in-band errors
 * and the line-length limit. Blank lines are skipped, CRLF is accepted, and a last line without a
 * newline is still parsed. Use it with `pipeThrough`.
 */
export function jsonLines<T = unknown>(options?: JsonLinesOptions): ReadableWritablePair<T, Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  return { writable, readable: jsonLineStream<T>(readable, options) };
}

/**
 * The values of a newline-delimited JSON byte stream. An error (in-band, malformed, too long) is
 * raised only after every value that came before it was read: a TransformStream that errors drops
 * what it has queued, and an engine writes its last progress lines and the error in one chunk.
 * Pulled on demand (nothing is read ahead of the consumer); cancelling it cancels the source.
 */
export function jsonLineStream<T = unknown>(source: ReadableStream<Uint8Array>, options?: JsonLinesOptions): ReadableStream<T> {
  const decoder = new JsonLineDecoder<T>(options);
  const reader = source.getReader();
  let pending: { error: unknown } | undefined;
  const fail = (controller: ReadableStreamDefaultController<T>, error: unknown) => {
    controller.error(error);
    reader.cancel(error).catch(() => {});
  };
  return new ReadableStream<T>(
    {
      async pull(controller) {
        if (pending) return fail(controller, pending.error);
        let emitted = 0;
        const emit = (value: T) => {
          controller.enqueue(value);
          emitted++;
        };
        while (emitted === 0) {
          const { done, value } = await reader.read();
          try {
            if (done) {
              decoder.end(emit);
              controller.close();
              return;
            }
            decoder.push(value, emit);
          } catch (error) {
            if (emitted === 0) return fail(controller, error);
            pending = { error }; // raised by the next pull, once what came before is read
            return;
          }
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The DockerStreamError an in-band `{"error": ...}` object stands for, or null for any other value. */
export function inBandError(value: unknown): DockerStreamError | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const record = value as { error?: unknown; errorDetail?: unknown };
  const rawDetail = record.errorDetail;
  const detail =
    typeof rawDetail === "object" && rawDetail !== null
      ? (rawDetail as { code?: number; message?: string })
      : undefined;
  let message: string | undefined;
  if (typeof record.error === "string" && record.error !== "") message = record.error;
  else if (typeof record.error === "object" && record.error !== null) message = JSON.stringify(record.error);
  else if (detail && typeof detail.message === "string" && detail.message !== "") message = detail.message;
  if (message === undefined) return null;
  const cleanDetail: { code?: number; message?: string } | undefined = detail
    ? {
        ...(typeof detail.code === "number" ? { code: detail.code } : {}),
        ...(typeof detail.message === "string" ? { message: detail.message } : {}),
      }
    : undefined;
  return new DockerStreamError(message, cleanDetail);
}

function invalidJson(text: string, cause: unknown): DockerStreamError {
  const quoted = text.length > QUOTE_LENGTH ? `${text.slice(0, QUOTE_LENGTH)}…` : text;
  return new DockerStreamError(`invalid JSON in stream: ${JSON.stringify(quoted)}`, undefined, { cause });
}

function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/**
 * Splits `{...}{...} [...]` into its top-level values, honouring strings and escapes. Returns null
 * when the text is not a sequence of objects/arrays (then it is simply invalid JSON).
 */
export function splitConcatenated(text: string): string[] | null {
  const pieces: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (depth === 0) {
      if (c === 32 || c === 9 || c === 13 || c === 10) continue;
      if (c !== 123 /* { */ && c !== 91 /* [ */) return null;
      start = i;
      depth = 1;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 0) pieces.push(text.slice(start, i + 1));
    }
  }
  return depth === 0 && !inString ? pieces : null;
}
