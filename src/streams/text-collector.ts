// The text of a byte stream collected whole (collect() and text() of an output): the bytes are
// gathered into one buffer and decoded once at the end, where the buffer can grow in place.

import { utf8Decoder } from "./bytes.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** The first buffer: most collected outputs (a command's few lines) fit in it. */
const FIRST_BUFFER = 16 * KiB;
/**
 * Below this the buffer grows by copying (at most about this much is copied in all); above it, it
 * grows in place, so that an output of a few bytes never reserves address space for a large one.
 */
const IN_PLACE_FROM = 1 * MiB;
/**
 * The most bytes held before a decode step where the buffer grows in place: beyond the longest
 * one-byte string V8 makes (2^29 - 24 characters), so ASCII that does not fit is refused by the
 * decoder either way; text of several bytes per character beyond it is decoded in such blocks.
 */
const IN_PLACE_BLOCK = 512 * MiB;
/** Where it cannot (no resizable ArrayBuffer): decoded every 1 MiB onto the text so far. */
const COPIED_BLOCK = 1 * MiB;

/** A resizable ArrayBuffer (Node 20, Deno, Bun, current browsers), typed for older type libraries. */
interface ResizableBuffer extends ArrayBuffer {
  resize(length: number): void;
}
type ResizableConstructor = new (length: number, options: { maxByteLength: number }) => ResizableBuffer;

/** Whether ArrayBuffers here can grow in place. */
export const growsInPlace: boolean = typeof (ArrayBuffer.prototype as Partial<ResizableBuffer>).resize === "function";

/**
 * Text of a byte stream: pieces are copied into one buffer, decoded when the stream ends. Where
 * ArrayBuffers are resizable the buffer grows in place (its reserved address space is committed
 * page by page as it fills, nothing is copied) up to 512 MiB, so any text V8 can hold as one-byte
 * string is decoded in one step, straight into a flat string, with no pieces to join: collecting
 * N bytes of ASCII touches N bytes of buffer and N of text, the least a decode from bytes can.
 * The buffer is released (shrunk to nothing, which returns its pages at once on V8) as soon as the
 * text is made. Where they are not, the buffer stops at 1 MiB and each full one is decoded onto
 * the text so far, so the bytes held stay bounded.
 *
 * A block is decoded whole (a TextDecoder with `stream: true` takes a path several times slower on
 * Node), cut before a character the block does not complete, whose bytes start the next block.
 * Cutting before a byte that is not a continuation byte (0x80-0xBF) never changes the result, even
 * for invalid input: a UTF-8 decoder facing such a byte ends whatever sequence was open with one
 * U+FFFD, exactly as it does at the end of the input.
 */
export class TextCollector {
  #bytes: Uint8Array | null = null;
  /** The buffer under `bytes` once it grows in place. */
  #store: ResizableBuffer | null = null;
  #length = 0;
  #text = "";
  #decoded = false;
  readonly #first: number;
  #block: number;
  #inPlaceFrom: number;

  /**
   * The sizes are for tests (at least 4 bytes: a block always holds more than a cut-off tail).
   * `inPlaceFrom` is where the buffer starts growing in place; Infinity never (blocks of `block`
   * are then decoded as they fill, as where ArrayBuffers are not resizable).
   */
  constructor(first = FIRST_BUFFER, block = growsInPlace ? IN_PLACE_BLOCK : COPIED_BLOCK, inPlaceFrom = growsInPlace ? IN_PLACE_FROM : Infinity) {
    this.#first = Math.max(4, first);
    this.#block = Math.max(this.#first, block);
    this.#inPlaceFrom = growsInPlace ? inPlaceFrom : Infinity;
  }

  add(data: Uint8Array): void {
    let from = 0;
    while (from < data.length) {
      const bytes = (this.#bytes ??= new Uint8Array(this.#first));
      const length = this.#length;
      if (length === bytes.length) {
        this.#make(length + data.length - from);
        continue;
      }
      const n = Math.min(bytes.length - length, data.length - from);
      bytes.set(n === data.length ? data : data.subarray(from, from + n), length);
      this.#length = length + n;
      from += n;
    }
  }

  /** The text; the collector is done with (its buffer let go). */
  finish(): string {
    this.#flush(true);
    this.discard();
    return this.#text;
  }

  /** Lets the buffer go now (a collection that failed), rather than whenever it is collected. */
  discard(): void {
    this.#store?.resize(0);
    this.#store = null;
    this.#bytes = null;
    this.#length = 0;
  }

  /** Room for `wanted` bytes in all: a larger buffer, or (at the block size) a decode step. */
  #make(wanted: number): void {
    const bytes = this.#bytes!;
    const size = bytes.length;
    if (size >= this.#block) return this.#flush(false);
    if (this.#store !== null) {
      const grown = Math.min(this.#block, Math.max(wanted, size * 2));
      this.#store.resize(grown);
      this.#bytes = new Uint8Array(this.#store, 0, grown);
      return;
    }
    const grown = Math.min(this.#block, Math.max(wanted, size * 4));
    let next: Uint8Array;
    if (grown > this.#inPlaceFrom) {
      let store: ResizableBuffer;
      try {
        store = new (ArrayBuffer as unknown as ResizableConstructor)(grown, { maxByteLength: this.#block });
      } catch {
        // No address space to reserve that much: decoded in copied blocks from now on.
        this.#inPlaceFrom = Infinity;
        this.#block = Math.min(this.#block, Math.max(size, COPIED_BLOCK));
        return this.#make(wanted);
      }
      this.#store = store;
      next = new Uint8Array(store, 0, grown);
    } else {
      next = new Uint8Array(grown);
    }
    next.set(bytes.subarray(0, this.#length));
    this.#bytes = next;
  }

  #flush(last: boolean): void {
    const bytes = this.#bytes;
    const length = this.#length;
    if (bytes === null || length === 0) return;
    const keep = last ? 0 : incompleteTail(bytes, length);
    // Only the first block may start with a byte order mark to drop; later ones keep U+FEFF.
    this.#text += (this.#text === "" && !this.#decoded ? utf8Decoder : continuationDecoder).decode(bytes.subarray(0, length - keep));
    this.#decoded = true;
    bytes.copyWithin(0, length - keep, length);
    this.#length = keep;
  }
}

/** Decodes text after the start of a stream: a U+FEFF there is text, not a byte order mark. */
export const continuationDecoder: TextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** How many of the last bytes of bytes[0, length) begin a character that needs more bytes (0-3). */
function incompleteTail(bytes: Uint8Array, length: number): number {
  for (let k = 1; k <= 3 && k <= length; k++) {
    const b = bytes[length - k];
    if (b < 0x80) return 0;
    if (b >= 0xc0) return (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) > k ? k : 0;
  }
  return 0;
}
