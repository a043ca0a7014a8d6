// A gRPC server on the streams of an HTTP/2 connection (src/buildkit/session/host.ts): routes each
// call by its path to a handler, and ends every call with its status in the trailers. A handler's
// thrown GrpcError becomes that status; anything else becomes INTERNAL with a fixed message, so
// nothing a handler touched (a secret, a path) can leak to the peer through an error text.

import type { Http2ServerStream } from "../buildkit/session/host.ts";
import { DockerStreamError } from "../errors/errors.ts";
import { frameMessage, readMessages } from "./framing.ts";

/** The status codes berth answers with (google.golang.org/grpc/codes). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export class GrpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "GrpcError";
  }
}

/** One call: the request messages in, response messages out. Unary calls read one and send one. */
export interface GrpcCall {
  readonly path: string;
  /** Request metadata, lower-case names. */
  readonly metadata: Record<string, string>;
  /** Every value of one metadata key, as sent (a key may come several times: patterns, paths). */
  metadataValues(name: string): string[];
  readonly messages: AsyncIterable<Uint8Array>;
  send(message: Uint8Array): Promise<void>;
  readonly signal: AbortSignal;
}

export type GrpcHandler = (call: GrpcCall) => Promise<void>;

/** A handler for a unary method: one request in, one response out. */
export function unary(handle: (request: Uint8Array, call: GrpcCall) => Promise<Uint8Array>): GrpcHandler {
  return async (call) => {
    let request: Uint8Array | undefined;
    for await (const message of call.messages) {
      if (request !== undefined) throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, "more than one request message for a unary method");
      request = message;
    }
    if (request === undefined) throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, "no request message");
    await call.send(await handle(request, call));
  };
}

/** Serves one HTTP/2 stream as a gRPC call to the handler its path names. */
export async function serveCall(stream: Http2ServerStream, handlers: ReadonlyMap<string, GrpcHandler>): Promise<void> {
  stream.respond({ ":status": "200", "content-type": "application/grpc" });
  let code: number = GrpcStatus.OK;
  let message = "";
  const handler = handlers.get(stream.path);
  try {
    if (!handler) throw new GrpcError(GrpcStatus.UNIMPLEMENTED, `unknown method ${stream.path}`);
    await handler({
      path: stream.path,
      metadata: stream.headers,
      metadataValues: (name) => stream.headerValues?.(name) ?? (name in stream.headers ? [stream.headers[name]!] : []),
      messages: readMessages(stream.readable),
      send: (m) => stream.write(frameMessage(m)),
      signal: stream.signal,
    });
  } catch (err) {
    if (err instanceof GrpcError) {
      code = err.code;
      message = err.message;
    } else if (err instanceof DockerStreamError && !stream.signal.aborted) {
      // The request's framing or protobuf is malformed: the texts of those errors carry lengths
      // and positions, never the bytes.
      code = GrpcStatus.INVALID_ARGUMENT;
      message = err.message;
    } else {
      code = stream.signal.aborted ? GrpcStatus.CANCELLED : GrpcStatus.INTERNAL;
      message = "the call failed on the client";
    }
  }
  const trailers: Record<string, string> = { "grpc-status": String(code) };
  if (message) trailers["grpc-message"] = encodeGrpcMessage(message);
  stream.end(trailers);
}

/** grpc-message is percent-encoded outside printable ASCII (the gRPC HTTP/2 spec). */
export function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
