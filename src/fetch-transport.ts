// A transport on the global fetch, for engines reached by URL (browsers, edge runtimes, and any
// runtime given an http(s) address). Runtime adapters reuse it with their own fetch options.

import { DockerConnectionError, DockerUnsupportedError } from "./errors.ts";
import type { Transport, TransportRequest, TransportResponse, WebSocketLike } from "./transport.ts";

export interface FetchTransportOptions {
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Extra fetch init merged into every request (Deno's `client`, Bun's `unix`, `tls`, ...). */
  init?: Record<string, unknown>;
  /** Address shown in messages (defaults to the base URL). */
  address?: string;
}

export class FetchTransport implements Transport {
  readonly address: string;
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #init: Record<string, unknown> | undefined;

  /** `baseUrl` like `http://127.0.0.1:2375` (a trailing slash or path prefix is kept). */
  constructor(baseUrl: string, options: FetchTransportOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, "");
    this.address = options.address ?? this.#base;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#init = options.init;
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const init: RequestInit & Record<string, unknown> = {
      ...this.#init,
      method: req.method,
      headers: req.headers,
      signal: req.signal,
      // Never follow a redirect: the engine redirects only paths it cleaned, i.e. a name that
      // would otherwise reach another endpoint. The core turns the 3xx into an error.
      redirect: "manual",
    };
    if (req.body !== undefined && req.body !== null) {
      init.body = req.body as BodyInit;
      if (req.body instanceof ReadableStream) init.duplex = "half";
    }
    try {
      return await this.#fetch(this.#base + req.path, init);
    } catch (err) {
      if ((err as Error)?.name === "AbortError" || req.signal?.aborted) throw err;
      throw new DockerConnectionError(this.address, (err as { code?: string })?.code, String((err as Error)?.message ?? err), { cause: err });
    }
  }

  webSocket(path: string): WebSocketLike {
    const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    if (!WS) throw new DockerUnsupportedError("This runtime has no WebSocket: attach needs one when raw sockets are unavailable");
    return new WS(this.#base.replace(/^http/, "ws") + path);
  }
}
