// The seam between the core and a runtime. An adapter implements Transport and knows sockets and
// nothing of Docker; the core knows Docker and nothing of sockets.
//
// The contract is deliberately smaller than fetch's Request/Response: building a WHATWG Request per
// call costs measurable time on Node, and the core needs only these fields. A fetch Response
// satisfies TransportResponse as it is, so fetch-based adapters just return it.

/** What the core sends. */
export interface TransportRequest {
  method: string;
  /** Path and query, starting with `/` (e.g. `/v1.41/containers/json?all=1`). Already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: RequestBody | null;
  /** Aborts connecting, waiting for headers, and reading the body. */
  signal?: AbortSignal;
  /**
   * The answer is a stream read for as long as the caller likes (followed logs, events, stats, exec
   * output). A pooling transport does not count its connection against its limit: a hundred
   * followed logs must not leave other requests waiting for a connection that never frees up.
   */
  stream?: boolean;
}

export type RequestBody = Uint8Array | string | ReadableStream<Uint8Array> | Blob;

/** What the adapter answers with. A fetch `Response` fits. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The body as a stream; null when there is none. Never buffered whole by the adapter. */
  readonly body: ReadableStream<Uint8Array> | null;
  /** Reads the whole body as UTF-8 text. */
  text(): Promise<string>;
  /**
   * Optional, for speed: reads the whole body as UTF-8 text like `text()`, but calls `progress` each
   * time bytes arrive, and once more than `maxBytes` came stops reading, drops the connection and
   * resolves with undefined. Without it the core reads `body` and does the same itself.
   */
  collect?(maxBytes: number, progress: () => void): Promise<string | undefined>;
}

/** A raw byte duplex, used for the HTTP/1.1 upgrade of attach and exec. */
export interface Duplex {
  readable: ReadableStream<Uint8Array>;
  /** Closing the writable half-closes the connection: the peer sees EOF, reading goes on. */
  writable: WritableStream<Uint8Array>;
  /** Closes both directions and releases the connection. */
  close(): void;
}

export interface Transport {
  /** Where this transport connects, for messages: `unix:///var/run/docker.sock`, `https://host:2376`. */
  readonly address: string;
  request(request: TransportRequest): Promise<TransportResponse>;
  /**
   * Opens a fresh raw connection to the engine (no request sent yet). Absent where the runtime
   * cannot open raw sockets (browsers); the core then uses `webSocket` for attach, if present.
   */
  connect?(signal?: AbortSignal): Promise<Duplex>;
  /** Opens a WebSocket to a path on the engine (browsers): used for attach. */
  webSocket?(path: string): WebSocketLike;
  /**
   * True when the engine is reached through berth's gateway, which adds a WebSocket exec
   * (`/exec/{id}/start/ws`, docs/browser.md): exec with stdin then goes over `webSocket`.
   */
  execWebSocket?: boolean;
  /**
   * True when exec output is cheaper to read over a connection of the core's own (`connect()` and the
   * HTTP/1.1 upgrade, as for exec with stdin) than through `request()`: Deno's fetch spends about
   * 4 s of CPU per GiB of response body, a raw connection about 1.
   */
  hijackExecOutput?: boolean;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/** The subset of the WHATWG WebSocket the core uses. */
export interface WebSocketLike {
  binaryType: string;
  readyState: number;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: any) => void): void;
}
