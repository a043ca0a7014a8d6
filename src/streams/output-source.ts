// How an OutputStream reads: one source of decoded pieces `(stream, data)` per read of the body
// (or of a stream of Frames), and one iterator that serves what a read produced.
//
// Both exist to keep the cost per item to the least a `for await` allows. An async generator pays
// a round of promises per `yield` on top of the one `for await` pays per item, and iterating one
// generator over another pays that twice: for a log of short lines that was most of the client's
// CPU (and of its garbage). Here one read decodes a whole chunk into an array (frames, or lines),
// and `next()` hands out the array's items with a single resolved promise each.

import { FrameDecoder, type Frame, type StreamName } from "./demux.ts";

/** Receives the pieces of one read, in order. May throw to stop the output (it is then cancelled). */
export type Take = (stream: StreamName, data: Uint8Array) => void;

/** What an object's `cancel()` reaches while one of its loops reads: see cancelHeld in output.ts. */
export interface Cancellable {
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The pieces of an output, one read at a time: a response body decoded in place (multiplexed or
 * raw), or a ReadableStream of Frames. `pull` never runs twice at once (the iterator below and the
 * collecting methods await each pull).
 */
export class PieceSource implements Cancellable {
  readonly #input: ReadableStream<Uint8Array | Frame>;
  /** Taken at the first pull: until then the input is not locked (as a generator not yet started). */
  #reader: ReadableStreamDefaultReader<Uint8Array | Frame> | null = null;
  /** null: the chunks are Frames (`framed`) or raw bytes of stdout. */
  readonly #decoder: FrameDecoder | null;
  readonly #framed: boolean;
  #open = true;
  #cancelled = false;

  /**
   * `input` is a body when `framed` is false. The decoder keeps its own threshold: pieces of
   * 4 KiB and more stay views. A step of this loop costs less than copying 4 KiB into a fresh
   * buffer, so merging them would cost more than it saves.
   */
  constructor(input: ReadableStream<Uint8Array> | ReadableStream<Frame>, framed: boolean, multiplexed: boolean) {
    this.#input = input as ReadableStream<Uint8Array | Frame>;
    this.#framed = framed;
    this.#decoder = !framed && multiplexed ? new FrameDecoder() : null;
  }

  /**
   * Reads once and hands the pieces to `take`. Resolves false once the output is over (or was
   * cancelled); the reader is then released. A failure (the body's, the decoder's, or `take`'s)
   * cancels the input and is thrown.
   */
  async pull(take: Take): Promise<boolean> {
    if (!this.#open) return false;
    try {
      return this.handle(await this.read(), take);
    } catch (error) {
      throw await this.fail(error);
    }
  }

  /** The next read: with handle() and fail(), pull() for a caller that awaits it itself. */
  read(): Promise<ReadableStreamReadResult<Uint8Array | Frame>> {
    return (this.#reader ??= this.#input.getReader()).read();
  }

  /** Hands a read's pieces to `take`; false at the end (which releases the reader). May throw. */
  handle(result: ReadableStreamReadResult<Uint8Array | Frame>, take: Take): boolean {
    if (result.done) {
      // A cancel() ends the output where it stands: no truncation error for a frame cut short.
      if (!this.#cancelled) this.#decoder?.end();
      this.#release();
      return false;
    }
    const value = result.value;
    if (this.#decoder !== null) this.#decoder.push(value as Uint8Array, take);
    else if (this.#framed) take((value as Frame).stream, (value as Frame).data);
    else if ((value as Uint8Array).length !== 0) take("stdout", value as Uint8Array);
    return true;
  }

  /** After a failure: cancels the input with it and releases the reader; returns the error. */
  async fail(error: unknown): Promise<unknown> {
    const reader = this.#reader;
    if (this.#open && reader !== null) {
      this.#open = false;
      await reader.cancel(error).catch(() => {});
      reader.releaseLock();
    }
    return error;
  }

  /** False once the output is over, failed or was cancelled. */
  get open(): boolean {
    return this.#open;
  }

  /** Whether a pull has begun: a source never read leaves its input alone when let go. */
  get started(): boolean {
    return this.#reader !== null;
  }

  /** Stops reading and cancels the input (a read in progress resolves as the end). */
  async cancel(reason?: unknown): Promise<void> {
    if (!this.#open) return;
    this.#cancelled = true;
    this.#open = false;
    const reader = this.#reader;
    if (reader === null) return this.#input.cancel(reason).catch(() => {});
    await reader.cancel(reason).catch(() => {});
    reader.releaseLock();
  }

  #release(): void {
    this.#open = false;
    this.#reader?.releaseLock();
  }
}

/**
 * Async iteration over what a source's reads produce: `fill` turns a read's pieces into items
 * (pushed onto `items`), `finish` adds what is left at the end (a last line without newline).
 * Ending the loop early, or a failure, cancels the source; `onSettle` runs once when iteration is
 * over, however it ended.
 */
// Not declared as implementing AsyncGenerator: where the type library has explicit resource
// management (Deno's), AsyncGenerator also requires [Symbol.asyncDispose], a symbol older
// libraries lack. The method is added below where the runtime has the symbol, so `await using`
// works as on a generator.
export class PulledIterator<T> implements AsyncIterableIterator<T, void, undefined> {
  readonly #source: PieceSource;
  readonly #take: Take;
  readonly #finish: ((items: T[]) => void) | undefined;
  readonly #onSettle: () => void;
  readonly items: T[] = [];
  #at = 0;
  #done = false;
  /** A read in progress (`busy` its promise): a next() called before the last one resolved waits its turn. */
  #reading = false;
  #busy: Promise<IteratorResult<T, void>> | null = null;

  constructor(source: PieceSource, take: (items: T[]) => Take, finish: ((items: T[]) => void) | undefined, onSettle: () => void) {
    this.#source = source;
    this.#take = take(this.items);
    this.#finish = finish;
    this.#onSettle = onSettle;
  }

  next(): Promise<IteratorResult<T, void>> {
    if (this.#reading) return this.#busy!.then(() => this.next());
    if (this.#at < this.items.length) return Promise.resolve({ value: this.items[this.#at++], done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    this.#reading = true;
    return (this.#busy = this.#read());
  }

  async #read(): Promise<IteratorResult<T, void>> {
    const items = this.items;
    const source = this.#source;
    items.length = 0;
    this.#at = 0;
    try {
      // One read and its decoding per turn; the reads themselves awaited here, not in a helper,
      // so that a chunk costs one await.
      while (source.open) {
        const result = await source.read();
        if (!source.handle(result, this.#take)) break;
        if (items.length !== 0) return { value: items[this.#at++], done: false };
      }
      this.#finish?.(items);
    } catch (error) {
      this.#settle();
      throw await source.fail(error);
    } finally {
      this.#reading = false;
    }
    this.#settle();
    if (items.length !== 0) return { value: items[this.#at++], done: false };
    return { value: undefined, done: true };
  }

  /** A `break` out of the loop: the rest is not read, the source is cancelled. */
  async return(): Promise<IteratorResult<T, void>> {
    if (this.#reading) await this.#busy!.catch(() => {});
    this.items.length = 0;
    this.#at = 0;
    if (!this.#done) {
      this.#settle();
      // As a generator returned before its first step: nothing was read, nothing to release.
      if (this.#source.started) await this.#source.cancel();
    }
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<T, void>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settle(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onSettle();
  }
}

const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
if (asyncDispose !== undefined) {
  Object.defineProperty(PulledIterator.prototype, asyncDispose, {
    value(this: PulledIterator<unknown>) {
      return this.return().then(() => undefined);
    },
    writable: true,
    configurable: true,
  });
}
