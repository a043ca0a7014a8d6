// A transport on the global fetch, for engines reached by URL (browsers, edge runtimes, and any
// runtime given an http(s) address). Runtime adapters reuse it with their own fetch options.

import { DockerConfigError, DockerConnectionError, DockerError, DockerUnsupportedError } from "../errors/errors.ts";
import type { Transport, TransportRequest, TransportResponse, WebSocketLike } from "./transport.ts";
import { CONNECTION_ADVICE } from "../errors/advice.ts";
import { collectBytes, decodeUtf8 } from "../streams/bytes.ts";
import { guardBody, type BodyGuard } from "../streams/guard.ts";

export interface FetchTransportOptions {
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Extra fetch init merged into every request (Deno's `client`, Bun's `unix`, `tls`, ...). */
  init?: Record<string, unknown>;
  /** Address shown in messages (defaults to the base URL). */
  address?: string;
}

/** How long the liveness probe after an EOF may take; no answer in time is not proof of death. */
const PROBE_TIMEOUT = 2_000;

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
    let response: Response;
    try {
      response = await this.#fetch(this.#base + req.path, init);
    } catch (err) {
      if ((err as Error)?.name === "AbortError" || req.signal?.aborted) throw err;
      if (err instanceof DockerError) throw err;
      // fetch checks header names and values itself and throws a TypeError: bad input, not a
      // connection failure (nothing was sent).
      const header = invalidHeader(err, req.headers);
      if (header !== undefined) {
        // fetch's own message quotes the value, which may be a secret: only the name is kept.
        throw new DockerConfigError(`Invalid HTTP header${header ? ` ${JSON.stringify(header)}` : ""}: a name is a token (letters, digits, !#$%&'*+-.^_\`|~), a value is Latin-1 text without CR, LF or NUL; nothing was sent`);
      }
      throw new DockerConnectionError(this.address, (err as { code?: string })?.code, String((err as Error)?.message ?? err), { cause: err });
    }
    return this.#guarded(response, req.method, req.signal);
  }

  /**
   * The response, with a body that fails as a DockerConnectionError when the connection ends before
   * its Content-Length or last chunk (fetch says TypeError, each runtime in its own words). A body
   * delimited by the connection's end (exec output without stdin: neither a length nor chunks) is
   * confirmed as an upgraded stream is: its end counts once the engine answers a ping.
   */
  #guarded(response: Response, method: string, signal: AbortSignal | undefined): TransportResponse {
    const mapError = (err: unknown): unknown => {
      if (err instanceof DockerError || (err as Error)?.name === "AbortError" || signal?.aborted) return err;
      const e = err as { code?: string; message?: string };
      return new DockerConnectionError(this.address, e?.code ?? "ECONNRESET", `${CONNECTION_ADVICE.beforeResponseEnd} (${String(e?.message ?? err)})`, { cause: err });
    };
    // The engine sends such bodies only for its raw streams. (A browser's cross-origin fetch hides
    // Transfer-Encoding: the content type keeps chunked JSON there from costing a ping each.)
    const headers = response.headers;
    const type = headers.get("content-type");
    const untilEof = method !== "HEAD" && response.body !== null && response.status >= 200 && response.status !== 204 && response.status !== 304 &&
      !headers.has("content-length") && !/chunked/i.test(headers.get("transfer-encoding") ?? "") &&
      (type === null || /^application\/vnd\.docker\.(raw|multiplexed)-stream/i.test(type));
    /** At the end of an EOF-delimited body: the error to raise when the engine is gone. */
    const confirm = async (): Promise<void> => {
      if (!untilEof || signal?.aborted) return;
      const failure = await this.confirmEnd();
      if (failure) throw failure;
    };
    const guard: BodyGuard = { error: mapError, end: (clean) => (clean ? confirm() : undefined) };
    let body: ReadableStream<Uint8Array> | null | undefined;
    return {
      status: response.status,
      headers: response.headers,
      get body() {
        if (body !== undefined) return body;
        const source = response.body;
        // The request engine's deadline joins this wrapper (src/streams/guard.ts): one hop a body.
        return (body = source ? guardBody(source, guard) : null);
      },
      // What the engine reads a value's body with: straight from fetch's stream, no wrapper at all.
      collect: async (maxBytes, progress) => {
        if (body !== undefined) throw new TypeError("The body has already been read");
        body = null;
        const source = response.body;
        if (!source) return "";
        let bytes: Uint8Array | undefined;
        try {
          bytes = await collectBytes(source, { maxBytes, progress });
        } catch (err) {
          throw mapError(err);
        }
        if (bytes === undefined) return undefined;
        await confirm();
        return decodeUtf8(bytes);
      },
      text: async () => {
        let text: string;
        try {
          text = await response.text();
        } catch (err) {
          throw mapError(err);
        }
        await confirm();
        return text;
      },
    };
  }

  /**
   * Called when a raw stream (attach, exec) reached EOF, which is also all a killed engine leaves:
   * asks the engine for /_ping. No answer means it stopped or crashed: the error to raise. Any
   * answer, or none within the probe's time, means the stream simply ended.
   */
  protected async confirmEnd(): Promise<Error | undefined> {
    const signal = AbortSignal.timeout(PROBE_TIMEOUT);
    try {
      const response = await this.#fetch(this.#base + "/_ping", { ...this.#init, method: "GET", signal, redirect: "manual" });
      await response.text().catch(() => {});
      return undefined;
    } catch (err) {
      if (signal.aborted) return undefined;
      const e = err as { message?: string };
      // ECONNRESET, not the probe's own code: what failed is the stream, cut mid-way.
      return new DockerConnectionError(this.address, "ECONNRESET", CONNECTION_ADVICE.engineGone(String(e?.message ?? err)), { cause: err });
    }
  }

  webSocket(path: string): WebSocketLike {
    const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    if (!WS) throw new DockerUnsupportedError("This runtime has no WebSocket: attach needs one when raw sockets are unavailable");
    return new WS(this.#base.replace(/^http/, "ws") + path);
  }
}

/**
 * The header fetch refused, when the failure is fetch's own header validation: a TypeError whose
 * message names a header, before anything was sent. Undefined for every other failure.
 */
function invalidHeader(err: unknown, headers: Record<string, string>): string | undefined {
  if (!(err instanceof TypeError)) return undefined;
  const message = String(err.message);
  // Bun: "Header 'x' has invalid value", "Invalid header name: 'x y'"; Deno: "Invalid header
  // value: ...", or "... 'headers' of 'RequestInit' ... is not a valid ByteString"; Node's fetch:
  // "... is an invalid header value", "Cannot convert argument to a ByteString ...".
  if (!(/header/i.test(message) && /invalid|not a valid/i.test(message)) && !/ByteString/.test(message)) return undefined;
  const names = Object.keys(headers);
  return names.find((name) => !validHeader(name, headers[name]!)) ?? names.find((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`)) ?? "";
}

/** RFC 9110's token for names; values without CR, LF, NUL or characters above U+00FF. */
function validHeader(name: string, value: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) && !/[\r\n\0]|[^\u0000-\u00ff]/.test(value);
}
