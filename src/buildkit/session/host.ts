// What a build session needs from the runtime, beyond the engine connection: an HTTP/2 server fed
// the hijacked `POST /session` connection (the engine is the HTTP/2 client there and calls the
// services berth offers), local sockets (the ssh agent) and local files and variables (secrets).
// Server adapters provide it; browsers and edge runtimes have none, and a build that needs a
// session is then refused before anything is sent.

import type { Duplex } from "../../transport/transport.ts";

/** One request the engine made on the session connection: a gRPC call. */
export interface Http2ServerStream {
  /** `:path`, e.g. `/moby.buildkit.secrets.v1.Secrets/GetSecret`. */
  readonly path: string;
  /** Request headers (gRPC metadata), lower-case names; several values joined by `, `. */
  readonly headers: Record<string, string>;
  /**
   * Every value of a request header, each as sent: gRPC sends a metadata key with several values
   * (include patterns) as several header fields, and a value may itself hold `, `.
   */
  headerValues?(name: string): string[];
  /** The request body (gRPC-framed messages); ends when the engine half-closes the stream. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Sends the response head (`:status` 200 and `content-type` are the caller's to give); a no-op on a reset stream. */
  respond(headers: Record<string, string>): void;
  /** Sends response body bytes; resolves when the runtime took them (flow control). */
  write(bytes: Uint8Array): Promise<void>;
  /** Ends the response with trailers (`grpc-status`, `grpc-message`); a no-op on a reset stream. */
  end(trailers: Record<string, string>): void;
  /** Aborts when the engine resets the stream or the connection goes. */
  readonly signal: AbortSignal;
}

/** The HTTP/2 side of one session connection. */
export interface Http2Served {
  /** Settles when the connection has closed (either side). */
  readonly closed: Promise<void>;
  /** Closes the HTTP/2 session and the connection under it. */
  close(): void;
}

export interface SessionHost {
  /** Serves HTTP/2 (prior knowledge, no TLS) on an already upgraded connection. */
  serveHttp2(connection: Duplex, onStream: (stream: Http2ServerStream) => void): Promise<Http2Served>;
  /** Opens a unix socket (the ssh agent's `SSH_AUTH_SOCK`). */
  connectUnix(path: string): Promise<Duplex>;
  /** Reads a whole local file (a secret given as `{ file }`). */
  readFile(path: string): Promise<Uint8Array>;
  /** An environment variable (a secret given as `{ env }`, `SSH_AUTH_SOCK`). */
  env(name: string): string | undefined;
}
