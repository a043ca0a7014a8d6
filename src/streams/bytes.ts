// Small byte helpers shared by the stream decoders. Kept free of runtime-specific types so every
// runtime (and Deno loading the .ts sources) can use them.

/** One encoder for the whole library: TextEncoder is stateless. */
export const utf8Encoder: TextEncoder = new TextEncoder();

/** A non-streaming, non-fatal decoder: invalid bytes become U+FFFD rather than throwing. */
export const utf8Decoder: TextDecoder = new TextDecoder();

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Joins byte arrays into one fresh array; returns the only piece itself when there is just one. */
export function concatBytes(pieces: readonly Uint8Array[], totalLength?: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  let total = totalLength;
  if (total === undefined) {
    total = 0;
    for (const piece of pieces) total += piece.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/** How much of a stream `collectBytes` takes, and who hears of its progress. */
export interface ByteLimit {
  /** Most bytes taken. Past them the reading stops and the stream is cancelled (a connection dropped). */
  maxBytes: number;
  /** Past `maxBytes`: resolve with the first `maxBytes` bytes instead of undefined. */
  truncate?: boolean;
  /** Called as each piece arrives (an idle timer's heartbeat). */
  progress?: () => void;
}

/**
 * Reads a whole byte stream into one array. With a limit, resolves with undefined (or, truncating,
 * the first `maxBytes` bytes) once more than `maxBytes` came. A failed read cancels the stream.
 */
export function collectBytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array>;
export function collectBytes(stream: ReadableStream<Uint8Array>, limit: ByteLimit): Promise<Uint8Array | undefined>;
export async function collectBytes(stream: ReadableStream<Uint8Array>, limit?: ByteLimit): Promise<Uint8Array | undefined> {
  const maxBytes = limit?.maxBytes ?? Infinity;
  const progress = limit?.progress;
  const reader = stream.getReader();
  const pieces: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      progress?.();
      if (total + value.byteLength > maxBytes) {
        reader.cancel().catch(() => {});
        if (!limit?.truncate) return undefined;
        pieces.push(value.subarray(0, maxBytes - total));
        total = maxBytes;
        break;
      }
      pieces.push(value);
      total += value.byteLength;
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  }
  // The reader keeps its lock: the stream has ended or is cancelled, so nothing else could read it,
  // and releasing costs Bun about a microsecond, a tenth of a small JSON call through its fetch.
  return pieces.length === 0 ? new Uint8Array(0) : concatBytes(pieces, total);
}

/** A response's body as a stream; an empty one when the engine sent none. */
export function bodyOf(response: { readonly body: ReadableStream<Uint8Array> | null }): ReadableStream<Uint8Array> {
  return response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
}

/**
 * `readable`, calling `settled` once when it has been read to its end, has failed, or is
 * cancelled: what holds something open for a stream's lifetime (a build session, a container to
 * remove) lets go of it then.
 */
export function onSettled<T>(readable: ReadableStream<T>, settled: () => void): ReadableStream<T> {
  const reader = readable.getReader();
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    settled();
  };
  return new ReadableStream<T>({
    async pull(controller) {
      let result: ReadableStreamReadResult<T>;
      try {
        result = await reader.read();
      } catch (err) {
        once();
        return controller.error(err);
      }
      if (!result.done) return controller.enqueue(result.value);
      once();
      controller.close();
    },
    async cancel(reason) {
      once();
      await reader.cancel(reason).catch(() => {});
    },
  });
}
