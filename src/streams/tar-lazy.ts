// The tar functions the package exports, loading the tar reader and writer (src/streams/tar.ts,
// the largest module of the core) on first use. Exported from the barrel in tar.ts's place so
// that a bundle which never touches an archive does not carry it: a module both imported
// statically and loaded with import() is always bundled whole into the page.

import type { TarEntry, TarFileEntry, TarReadEntry } from "./tar.ts";

type Tar = typeof import("./tar.ts");

let loading: Promise<Tar> | undefined;
const tar = (): Promise<Tar> => (loading ??= import("./tar.ts"));

/** A stream that opens the real one on its first read (or cancel), then reads it through. */
function lazyStream(open: (module: Tar) => ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let reader: Promise<ReadableStreamDefaultReader<Uint8Array>> | undefined;
  const inner = () => (reader ??= tar().then((module) => open(module).getReader()));
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await (await inner()).read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await (await inner()).cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Writes entries as a tar stream, ending with the two zero blocks. Entries are taken one at a time
 * as the consumer pulls, and stream data is passed through chunk by chunk. Cancelling the archive
 * cancels the entry stream being read.
 */
export function tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): ReadableStream<Uint8Array> {
  return lazyStream((module) => module.tarStream(entries));
}

/** The whole archive in memory, for small archives. */
export async function tarBytes(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<Uint8Array> {
  return (await tar()).tarBytes(entries);
}

/**
 * Reads a tar archive entry by entry. Each entry's `body` must be read or abandoned before the
 * next entry is requested; requesting it skips what is left of the body. Stopping early (break
 * out of `for await`) cancels the input stream. Errors are DockerStreamError: bad checksum,
 * malformed headers, or input ending before the end-of-archive marker.
 */
export async function* readTar(stream: ReadableStream<Uint8Array>): AsyncGenerator<TarReadEntry, void, undefined> {
  yield* (await tar()).readTar(stream);
}

/** A small archive's entries with their contents, in order. */
export async function readTarEntries(stream: ReadableStream<Uint8Array>): Promise<TarFileEntry[]> {
  return (await tar()).readTarEntries(stream);
}

/**
 * Decompresses the stream when it starts with the gzip magic bytes (1f 8b), and passes it through
 * unchanged otherwise. Image and context archives arrive either way.
 */
export function gunzipIfNeeded(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return lazyStream((module) => module.gunzipIfNeeded(stream));
}

export { normalizeTarPath, safeJoin } from "./tar-paths.ts";
