// What users iterate for events, stats and progress: decoded JSON values, cancellable.

import { jsonLineStream, type JsonLinesOptions } from "./json-lines.ts";
import { cancelHeld, iterate, type HeldReader } from "./output.ts";

/**
 * An async iterable of JSON values from a newline-delimited stream. Breaking out of the loop,
 * `cancel()`, or the abort signal given when it was opened releases the connection.
 */
export class JsonStream<T> implements AsyncIterable<T> {
  readonly readable: ReadableStream<T>;
  readonly #held: HeldReader<T> = { reader: null };

  constructor(body: ReadableStream<Uint8Array>, options?: JsonLinesOptions) {
    this.readable = jsonLineStream<T>(body, options);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return iterate(this.readable, this.#held);
  }

  /** Stops reading and releases the connection; a `for await` reading it ends (no error). */
  async cancel(reason?: unknown): Promise<void> {
    await cancelHeld(this.readable, this.#held, reason);
  }

  /** Reads to the end and returns every value (rejects on an in-band error). */
  async all(): Promise<T[]> {
    const out: T[] = [];
    for await (const value of this) out.push(value);
    return out;
  }
}
