// gRPC's message framing on an HTTP/2 stream: each message is a 1-byte compressed flag, a 4-byte
// big-endian length and the message. berth never compresses, and refuses compressed messages
// (it offers no grpc-accept-encoding, so a peer that sends one breaks the protocol).

import { DockerStreamError } from "../errors/errors.ts";

/** Largest message accepted: BuildKit's own default receive limit is 16 MiB. */
export const MAX_MESSAGE = 16 * 1024 * 1024;

/** Frames one message. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/**
 * The messages of a gRPC request body, one by one, as they complete. What is held is at most one
 * message under the limit plus the chunk that completes it, and each byte is copied once (the
 * chunks are kept as they came until a message is whole).
 */
export async function* readMessages(body: ReadableStream<Uint8Array>, maxMessage = MAX_MESSAGE): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  /** The first n held bytes, taken out. */
  const take = (n: number): Uint8Array => {
    size -= n;
    const out = new Uint8Array(n);
    for (let at = 0; at < n; ) {
      const part = parts[0]!;
      const k = Math.min(part.length, n - at);
      out.set(part.subarray(0, k), at);
      at += k;
      if (k === part.length) parts.shift();
      else parts[0] = part.subarray(k);
    }
    return out;
  };
  let length = -1; // of the message whose prefix was read, while its bytes are still coming
  try {
    for (;;) {
      for (;;) {
        if (length < 0) {
          if (size < 5) break;
          const prefix = take(5);
          if (prefix[0] !== 0) throw new DockerStreamError("gRPC: a compressed message arrived, and none was offered");
          length = new DataView(prefix.buffer).getUint32(1);
          if (length > maxMessage) throw new DockerStreamError(`gRPC: a message of ${length} bytes exceeds the limit of ${maxMessage}`);
        }
        if (size < length) break;
        yield take(length);
        length = -1;
      }
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length) {
        parts.push(value);
        size += value.length;
      }
    }
    if (length >= 0 || size) throw new DockerStreamError(`gRPC: the stream ended inside a message (${size + (length >= 0 ? 5 : 0)} bytes left over)`);
  } finally {
    reader.releaseLock();
  }
}
