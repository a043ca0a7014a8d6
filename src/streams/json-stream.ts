// What users iterate for events, stats and progress: decoded JSON values, cancellable.

import { JsonLineDecoder, jsonLineStream, type JsonLinesOptions } from "./json-lines.ts";
import { cancelHeld, iterate, type HeldReader } from "./output.ts";

/**
 * An async iterable of JSON values from a newline-delimited stream. Breaking out of the loop,
 * `cancel()`, or the abort signal given when it was opened releases the connection.
 */
export class JsonStream<T> implements AsyncIterable<T> {
  /** The response body, until `readable` makes a stream of it. */
  readonly #body: ReadableStream<Uint8Array>;
  readonly #options: JsonLinesOptions | undefined;
  #readable: ReadableStream<T> | null = null;
  readonly #held: HeldReader<unknown> = { reader: null };

  constructor(body: ReadableStream<Uint8Array>, options?: JsonLinesOptions) {
    this.#body = body;
    this.#options = options;
  }

  /** The values as a WHATWG stream, for piping. */
  get readable(): ReadableStream<T> {
    return (this.#readable ??= jsonLineStream<T>(this.#body, this.#options));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    // Iterated straight from the body, decoding each chunk as it is read: a value costs one step of
    // the loop, not an enqueue and a read of a stream in between (events at 10,000 a second).
    if (this.#readable === null) return decodeBody<T>(this.#body, this.#options, this.#held);
    return iterate(this.#readable, this.#held);
  }

  /** Stops reading and releases the connection; a `for await` reading it ends (no error). */
  async cancel(reason?: unknown): Promise<void> {
    await cancelHeld<unknown>(this.#readable ?? this.#body, this.#held, reason);
  }

  /** Reads to the end and returns every value (rejects on an in-band error). */
  async all(): Promise<T[]> {
    const out: T[] = [];
    for await (const value of this) out.push(value);
    return out;
  }
}

/**
 * The values of a body, read a chunk at a time. An error (in-band, malformed, too long) is raised
 * after the values that came before it in the same chunk, as the stream form does.
 */
async function* decodeBody<T>(body: ReadableStream<Uint8Array>, options: JsonLinesOptions | undefined, held: HeldReader<unknown>): AsyncGenerator<T, void, undefined> {
  const reader = body.getReader();
  held.reader = reader;
  const decoder = new JsonLineDecoder<T>(options);
  let values: T[] = [];
  const emit = (value: T) => void values.push(value);
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      let failure: { error: unknown } | undefined;
      try {
        if (done) decoder.end(emit);
        else decoder.push(value, emit);
      } catch (error) {
        failure = { error };
      }
      const ready = values;
      values = [];
      for (let i = 0; i < ready.length; i++) yield ready[i];
      if (failure) {
        // The body is cancelled without waiting for it, as the stream form does: the error is the answer.
        finished = true;
        reader.cancel(failure.error).catch(() => {});
        throw failure.error;
      }
      if (done) {
        finished = true;
        return;
      }
    }
  } finally {
    if (held.reader === reader) held.reader = null;
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
