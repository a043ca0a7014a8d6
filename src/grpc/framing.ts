// gRPC's message framing on an HTTP/2 stream: each message is a 1-byte compressed flag, a 4-byte
// big-endian length and the message. berth never compresses, and refuses compressed messages
// (it offers no grpc-accept-encoding, so a peer that sends one breaks the protocol).

import { DockerStreamError } from "../errors/errors.ts";
import { concatBytes } from "../streams/bytes.ts";

/** Largest message accepted: BuildKit's own default receive limit is 16 MiB. */
export const MAX_MESSAGE = 16 * 1024 * 1024;

/** Frames one message. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/** The messages of a gRPC request body, one by one, as they complete. */
export async function* readMessages(body: ReadableStream<Uint8Array>, maxMessage = MAX_MESSAGE): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let buffered: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      while (buffered.length >= 5) {
        if (buffered[0] !== 0) throw new DockerStreamError("gRPC: a compressed message arrived, and none was offered");
        const length = new DataView(buffered.buffer, buffered.byteOffset, 5).getUint32(1);
        if (length > maxMessage) throw new DockerStreamError(`gRPC: a message of ${length} bytes exceeds the limit of ${maxMessage}`);
        if (buffered.length < 5 + length) break;
        yield buffered.slice(5, 5 + length);
        buffered = buffered.subarray(5 + length);
      }
      const { done, value } = await reader.read();
      if (done) break;
      buffered = buffered.length ? concatBytes([buffered, value]) : value;
    }
    if (buffered.length) throw new DockerStreamError(`gRPC: the stream ended inside a message (${buffered.length} bytes left over)`);
  } finally {
    reader.releaseLock();
  }
}
