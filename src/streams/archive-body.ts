// The body of an upload that takes a tar (archives, builds, plugins): bytes, a stream or a Blob
// as they are, or entries packed on the fly. The tar writer is loaded only when entries are given,
// so code that never packs (a browser dashboard) does not carry it.

import type { RequestBody } from "../transport/transport.ts";
import type { TarEntry } from "./tar.ts";

export type ArchiveInput = ReadableStream<Uint8Array> | Uint8Array | Blob | Iterable<TarEntry> | AsyncIterable<TarEntry>;

export async function archiveBody(archive: ArchiveInput | string): Promise<RequestBody> {
  if (
    typeof archive === "string" ||
    archive instanceof Uint8Array ||
    archive instanceof ReadableStream ||
    (typeof Blob !== "undefined" && archive instanceof Blob)
  ) {
    return archive;
  }
  const { tarStream } = await import("./tar.ts");
  return tarStream(archive as Iterable<TarEntry> | AsyncIterable<TarEntry>);
}
