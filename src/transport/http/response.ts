// Reading an HTTP/1.1 answer off a raw connection: the final response head (interim 1xx skipped)
// and the body per its framing. The upgrade of attach and exec (upgrade.ts) and a plain request on
// a connection of its own (exchange.ts) read through here.

import { DockerConnectionError, DockerError, DockerStreamError } from "../../errors/errors.ts";
import { bodyFraming, ChunkedDecoder, parseResponseHead } from "./http1.ts";
import type { BodyFraming, ResponseHead } from "./http1.ts";
import { CONNECTION_ADVICE } from "../../errors/advice.ts";
import { onOwnAbort } from "../../request/deadline.ts";

const MAX_ERROR_BODY = 1024 * 1024;

export type Race = <T>(p: Promise<T>) => Promise<T>;
/** What the answer is read through: a stream's reader, or a raw connection's reads (Deno's pool). Only `read` is used. */
export interface Reader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
}

/**
 * One exchange's abort: when `signal` aborts, whatever is pending through `race` (the head, then
 * the body) fails with an AbortError, and `onAbort` runs once (it drops the connection). `unlisten`
 * ends the watch when the exchange is over.
 */
export function abortRace(signal: AbortSignal | undefined, onAbort: () => void): { race: Race; unlisten: () => void } {
  let fail: (err: Error) => void = () => {};
  const aborted = new Promise<never>((_, reject) => (fail = reject));
  aborted.catch(() => {});
  const unlisten = onOwnAbort(signal, () => {
    fail(Object.assign(new Error("The operation was aborted", { cause: signal?.reason }), { name: "AbortError", code: "ABORT_ERR" }));
    onAbort();
  });
  return { race: (p) => Promise.race([p, aborted]), unlisten };
}

/**
 * The body of an answer piece by piece: each call resolves with the next piece, or null at the end.
 * A body cut short, or (for a body delimited by the connection's end) an engine `confirmEnd` says
 * is gone, fails as berth's error; `end` runs once the body ended (`true`) or failed (`false`).
 */
export function bodyPieces(source: BodySource, race: Race, address: string, confirmEnd: (() => Promise<Error | undefined>) | undefined, end: (complete: boolean) => void): () => Promise<Uint8Array | null> {
  return async () => {
    let piece: Uint8Array | null;
    try {
      piece = await race(source.next());
      if (piece === null) {
        if (source.truncated) throw new DockerConnectionError(address, "ECONNRESET", CONNECTION_ADVICE.beforeResponseEnd);
        const failure = await confirmEnd?.();
        if (failure) throw failure;
      }
    } catch (err) {
      end(false);
      throw (err as Error)?.name === "AbortError" ? err : toDockerError(err, address);
    }
    if (piece === null) end(true);
    return piece;
  };
}

/** A body read through `next` (null at its end) as a stream, read only as its reader asks; `cancel` drops the connection. */
export function pulledBody(next: () => Promise<Uint8Array | null>, cancel: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const piece = await next();
        if (piece) controller.enqueue(piece);
        else controller.close();
      },
      cancel,
    },
    { highWaterMark: 0 },
  );
}

/** Reads heads until one that is not an interim 1xx (101 counts as final). */
export async function readFinalHead(reader: Reader, race: Race, maxHeadBytes: number, address: string): Promise<{ head: ResponseHead; rest: Uint8Array }> {
  let rest: Uint8Array = new Uint8Array(0);
  for (;;) {
    const result = await readHead(reader, rest, race, maxHeadBytes, address);
    if (result.head.status >= 200 || result.head.status === 101) return result;
    rest = result.rest;
  }
}

/**
 * Accumulates bytes until a complete head. The common case (the whole head in the first chunk) copies
 * nothing: the leftover is a view into the chunk the adapter produced.
 */
async function readHead(reader: Reader, initial: Uint8Array, race: Race, maxHeadBytes: number, address: string): Promise<{ head: ResponseHead; rest: Uint8Array }> {
  let data = initial; // what has arrived, as one contiguous view
  let buffer: Uint8Array | null = null; // owns `data` once a second chunk forced a copy
  let searched = 0;
  for (;;) {
    if (data.byteLength > 0) {
      const head = parseResponseHead(data, Math.max(0, searched - 3));
      if (head) {
        if (head.headLength > maxHeadBytes) throw headTooLarge(maxHeadBytes);
        return { head, rest: data.subarray(head.headLength) };
      }
      if (data.byteLength > maxHeadBytes) throw headTooLarge(maxHeadBytes);
      searched = data.byteLength;
    }

    const { done, value } = await race(reader.read());
    if (done) {
      throw new DockerConnectionError(address, undefined, data.byteLength === 0
        ? CONNECTION_ADVICE.beforeAnswer
        : "the connection closed in the middle of the response head");
    }
    if (value.byteLength === 0) continue;
    if (data.byteLength === 0) {
      data = value;
      continue;
    }
    // Grow geometrically so a head trickling in byte by byte costs linear time, not quadratic.
    const needed = data.byteLength + value.byteLength;
    let target: Uint8Array = buffer ?? new Uint8Array(0);
    if (target.byteLength < needed) {
      const capacity: number = Math.max(needed, Math.min(2 * Math.max(target.byteLength, 256), maxHeadBytes + 4096));
      target = new Uint8Array(capacity);
      target.set(data, 0);
      buffer = target;
    }
    target.set(value, data.byteLength);
    data = target.subarray(0, needed);
  }
}

function headTooLarge(max: number): DockerStreamError {
  return new DockerStreamError(`The engine's response head exceeds ${max} bytes`);
}

/**
 * Yields the body bytes of a response as they arrive, per its framing: first those in `rest`, then the
 * reader's. Returns null at the end of the body. `truncated` is set when the connection ended early.
 */
export class BodySource {
  #reader: Reader;
  #rest: Uint8Array | null;
  #framing: BodyFraming;
  #remaining: number;
  #decoder: ChunkedDecoder | null;
  truncated = false;

  constructor(reader: Reader, rest: Uint8Array, framing: BodyFraming) {
    this.#reader = reader;
    this.#rest = rest.byteLength > 0 ? rest : null;
    this.#framing = framing;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#decoder = framing.kind === "chunked" ? new ChunkedDecoder() : null;
  }

  async next(race: Race = (p) => p): Promise<Uint8Array | null> {
    const kind = this.#framing.kind;
    for (;;) {
      if (kind === "none" || (kind === "length" && this.#remaining === 0) || this.#decoder?.done) return null;

      let raw: Uint8Array;
      if (this.#rest) {
        raw = this.#rest;
        this.#rest = null;
      } else {
        const { done, value } = await race(this.#reader.read());
        if (done) {
          this.truncated = kind !== "eof";
          return null;
        }
        raw = value;
      }
      if (raw.byteLength === 0) continue;

      if (kind === "length") {
        const piece = raw.byteLength > this.#remaining ? raw.subarray(0, this.#remaining) : raw;
        this.#remaining -= piece.byteLength;
        return piece;
      }
      if (this.#decoder) {
        // The engine writes a followed log or a progress stream as one HTTP chunk per line: what
        // one read brought comes out as one piece, not a trip through every stream stage per line.
        // (The reads are the connection's own: the payload is moved over the framing in place.)
        const piece = this.#decoder.pushInPlace(raw);
        if (piece.byteLength > 0) return piece;
        continue;
      }
      return raw;
    }
  }
}

/** Reads an error response's body, up to MAX_ERROR_BODY bytes; a broken body still yields what came. */
export async function readErrorBody(reader: Reader, rest: Uint8Array, headers: Map<string, string>, status: number, race: Race, signal: AbortSignal | undefined): Promise<string> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  try {
    const source = new BodySource(reader, rest, bodyFraming(headers, status !== 304));
    while (total < MAX_ERROR_BODY) {
      const piece = await source.next(race);
      if (!piece) break;
      pieces.push(piece);
      total += piece.byteLength;
    }
  } catch (err) {
    // The status alone is worth reporting: a malformed or cut-off body must not hide it. An abort still wins.
    if (signal?.aborted) throw err;
  }
  const all = new Uint8Array(Math.min(total, MAX_ERROR_BODY));
  let at = 0;
  for (const piece of pieces) {
    const take = Math.min(piece.byteLength, all.byteLength - at);
    all.set(piece.subarray(0, take), at);
    at += take;
  }
  return new TextDecoder().decode(all);
}

/** A failure as berth's error: a DockerError stays itself, anything else is the connection's. */
export function toDockerError(err: unknown, address: string): DockerError {
  if (err instanceof DockerError) return err;
  const code = typeof (err as { code?: unknown } | null)?.code === "string" ? (err as { code: string }).code : undefined;
  const detail = err instanceof Error ? err.message : String(err);
  return new DockerConnectionError(address, code, detail, { cause: err });
}
