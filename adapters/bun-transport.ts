// The Bun transport: Bun's fetch for calls answered at once (its `unix` option reaches a socket, its
// `tls` option carries client certificates), and Bun.connect for the rest: the raw duplex of attach
// and exec, and every streamed answer (logs, events, progress, exec output), read by berth's own
// HTTP/1.1 code (src/transport/http/exchange.ts). Through Bun's fetch a streamed answer cost about
// twice the CPU (exec output 2.5 s per GiB against 1.3; a log replay 5.7 µs per line against 3.5),
// and the bytes that came in the same read as the engine's FIN were lost.
//
// Bun's own types are not a dependency of berth: the little of the Bun API used here is declared
// below, so this file type-checks with plain TypeScript (and under Deno, for JSR).

import { CONNECTION_ADVICE, tlsFailed } from "../src/errors/advice.ts";
import { onAbort } from "../src/request/deadline.ts";
import { checkTlsPair, endpointAddress, endpointBase, endpointHostHeader, pemText, type Endpoint, type TlsOptions } from "../src/server/endpoint.ts";
import { DockerConnectionError } from "../src/errors/errors.ts";
import { FetchTransport } from "../src/transport/fetch.ts";
import { exchange } from "../src/transport/http/exchange.ts";
import type { Duplex, TransportRequest, TransportResponse } from "../src/transport/transport.ts";
// Bun reports TLS failures with Node's codes, so Node's explanation of them applies as it is.
import { tlsFailure } from "./tls-failure.ts";

/** PEM material for https engines. Verification is always on. */
export interface BunTlsOptions extends TlsOptions {}

export type BunEndpoint = Endpoint<BunTlsOptions>;

export interface BunTransportOptions {
  /** Address shown in messages. */
  address?: string;
}

interface BunSocket {
  /** Bytes accepted now (fewer than given when the kernel buffer is full; -1 once closed). */
  write(data: Uint8Array): number;
  /** Sends FIN; reading goes on until the peer closes. (`end()` would close both directions.) */
  shutdown(): void;
  /** Closes at once, both directions. */
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay?: boolean): boolean;
}

interface BunSocketHandlers {
  /** TLS only: the handshake's outcome, certificate verification included. */
  handshake(socket: BunSocket, success: boolean, authorizationError: (Error & { code?: string }) | null): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
}

interface BunConnectOptions {
  unix?: string;
  hostname?: string;
  port?: number;
  tls?: boolean | Record<string, unknown>;
  allowHalfOpen?: boolean;
  socket: BunSocketHandlers;
}

declare const Bun: { connect(options: BunConnectOptions): Promise<BunSocket> };

export class BunTransport extends FetchTransport {
  readonly #endpoint: BunEndpoint;
  readonly #address: string;
  /** Host header value of the requests written by berth itself. */
  readonly #host: string;
  /** Exec output over Bun.connect too (see the top of the file). */
  readonly hijackExecOutput = true;

  constructor(endpoint: BunEndpoint, options: BunTransportOptions = {}) {
    const unix = "socketPath" in endpoint;
    const address = options.address ?? endpointAddress(endpoint);
    const base = endpointBase(endpoint);
    if (!unix) checkTlsPair(endpoint.tls);
    let init: Record<string, unknown> | undefined;
    if (unix) init = { unix: endpoint.socketPath };
    else if (endpoint.protocol === "https") init = { tls: fetchTls(endpoint.tls ?? {}) };
    const clientCert = !unix && Boolean(endpoint.tls?.cert);
    super(base, { init, address, fetch: unix || endpoint.protocol !== "https" ? undefined : explainingTls(clientCert) });
    this.#endpoint = endpoint;
    this.#address = address;
    this.#host = endpointHostHeader(endpoint);
  }

  /** Calls answered at once through fetch; streamed answers over a connection of their own. */
  override async request(req: TransportRequest): Promise<TransportResponse> {
    if (!req.stream) return super.request(req);
    return exchange(await this.connect(req.signal), req, { address: this.#address, host: this.#host, confirmEnd: () => this.confirmEnd() });
  }

  async connect(signal?: AbortSignal): Promise<Duplex> {
    signal?.throwIfAborted();
    const endpoint = this.#endpoint;
    const tls = "protocol" in endpoint && endpoint.protocol === "https";
    const bridge = new SocketBridge(this.#address, tls, tls && Boolean((endpoint as { tls?: BunTlsOptions }).tls?.cert), () => this.confirmEnd());
    const options: BunConnectOptions = { socket: bridge.handlers, allowHalfOpen: true };
    if ("socketPath" in endpoint) {
      options.unix = endpoint.socketPath;
    } else {
      options.hostname = endpoint.hostname;
      options.port = endpoint.port;
      if (tls) options.tls = connectTls(endpoint.tls ?? {});
    }
    // Bun.connect cannot be cancelled: on abort the caller is answered at once, and a socket that
    // still arrives is closed.
    const connecting = Bun.connect(options).catch((err: unknown) => {
      const e = err as { code?: string; message?: string };
      throw new DockerConnectionError(this.#address, e?.code, String(e?.message ?? err), { cause: err });
    });
    let unlisten = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      unlisten = onAbort(signal, () => reject(signal!.reason ?? new DOMException("aborted", "AbortError")));
    });
    try {
      const socket = await Promise.race([connecting, aborted]);
      // Bun resolves before the TLS handshake; a certificate that fails verification only shows
      // in the handshake callback. Nothing is sent before it has succeeded.
      await Promise.race([bridge.ready, aborted]);
      socket.setNoDelay(true);
      return bridge.attach(socket);
    } catch (err) {
      connecting.then((socket) => socket.terminate(), () => {});
      throw err;
    } finally {
      unlisten();
    }
  }
}

/** A TLS failure as a DockerConnectionError that says what to fix, or undefined when not one. */
function tlsError(address: string, err: Error & { code?: string }, handshaking: boolean, clientCert: boolean): DockerConnectionError | undefined {
  const why = tlsFailure(err, { handshaking, clientCert });
  if (!why) return undefined;
  return new DockerConnectionError(address, err.code, tlsFailed(why, err.message), { cause: err });
}

/** Bun's fetch, with TLS failures explained in the message FetchTransport passes on. */
function explainingTls(clientCert: boolean): typeof fetch {
  return async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (err) {
      const e = err as Error & { code?: string };
      const why = e?.name === "AbortError" ? undefined : tlsFailure(e, { handshaking: true, clientCert });
      if (!why) throw err;
      throw Object.assign(new Error(tlsFailed(why, e.message), { cause: err }), { code: e.code });
    }
  };
}

/** TLS options for Bun's fetch. */
function fetchTls(t: BunTlsOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { rejectUnauthorized: true };
  if (t.ca) out.ca = pemText(t.ca);
  if (t.cert) out.cert = pemText(t.cert);
  if (t.key) out.key = pemText(t.key);
  if (t.servername) out.serverName = t.servername;
  return out;
}

/** TLS options for Bun.connect. */
function connectTls(t: BunTlsOptions): Record<string, unknown> {
  return fetchTls(t);
}

/**
 * Bun delivers socket events to handlers given at connect time; this turns them into the WHATWG
 * streams of a Duplex. Reading is pull-based: the socket is paused while the stream's queue is
 * full, so a slow consumer bounds memory.
 */
class SocketBridge {
  readonly #address: string;
  #socket: BunSocket | undefined;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #finished = false;
  /** Bytes the socket did not take yet, and who waits for them to go out. */
  #pending: Uint8Array | undefined;
  #drained: (() => void) | undefined;
  #failed: ((err: Error) => void) | undefined;
  #closed = false;
  /** We sent FIN: the peer closing is then the normal end of its output. */
  #shutDown = false;
  readonly readable: ReadableStream<Uint8Array>;
  readonly handlers: BunSocketHandlers;
  /** Settles once the connection may carry data: at once, or after a successful TLS handshake. */
  readonly ready: Promise<void>;
  #handshaken: { resolve(): void; reject(err: Error): void } | undefined;

  readonly #tls: boolean;
  readonly #clientCert: boolean;
  /** Asks whether the engine is still there once the stream reached EOF: the error to raise, if not. */
  readonly #confirmEnd: () => Promise<Error | undefined>;

  constructor(address: string, tls: boolean, clientCert: boolean, confirmEnd: () => Promise<Error | undefined>) {
    this.#address = address;
    this.#tls = tls;
    this.#clientCert = clientCert;
    this.#confirmEnd = confirmEnd;
    this.ready = tls
      ? new Promise<void>((resolve, reject) => {
          this.#handshaken = { resolve, reject };
        })
      : Promise.resolve();
    this.ready.catch(() => {}); // observed by connect(); never an unhandled rejection
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          this.#socket?.resume();
        },
        cancel: () => {
          this.#finished = true;
          this.#socket?.terminate();
        },
      },
      { highWaterMark: 16 },
    );
    this.handlers = {
      handshake: (socket, success, authorizationError) => {
        if (success && !authorizationError) return this.#settleHandshake();
        const err: Error & { code?: string } = authorizationError ?? Object.assign(new Error("the TLS handshake failed"), { code: "EPROTO" });
        this.#settleHandshake(tlsError(this.#address, err, true, this.#clientCert) ?? new DockerConnectionError(this.#address, err.code, err.message, { cause: err }));
        socket.terminate();
      },
      data: (socket, data) => {
        if (this.#finished) return;
        // Bun may reuse the buffer it hands over, and a Buffer's slice() is a view: copy, for the
        // consumer keeps what it reads.
        this.#controller.enqueue(new Uint8Array(data));
        if ((this.#controller.desiredSize ?? 1) <= 0) socket.pause();
      },
      drain: () => this.#flush(),
      end: () => {
        // The engine's FIN: the output is complete. Writing may go on (half-open).
        this.#endReading();
      },
      error: (_socket, error) => {
        this.#settleHandshake(new DockerConnectionError(this.#address, (error as { code?: string }).code, error.message, { cause: error }));
        this.#fail(error);
      },
      close: (_socket, error) => {
        this.#closed = true;
        this.#settleHandshake(new DockerConnectionError(this.#address, "ECONNRESET", CONNECTION_ADVICE.inHandshake, { cause: error }));
        if (error) this.#fail(error);
        else if (this.#shutDown) {
          // After our FIN, Bun reports the engine's closing as `close` without `end`.
          this.#endReading();
        } else if (!this.#finished) {
          // Closed without the engine's FIN: the connection dropped mid-stream.
          this.#fail(Object.assign(new Error(CONNECTION_ADVICE.beforeStreamEnd), { code: "ECONNRESET" }));
        }
        this.#failWriter(new DockerConnectionError(this.#address, "EPIPE", CONNECTION_ADVICE.closed));
      },
    };
  }

  /** Resolves `ready` (no error) or rejects it; only the first outcome counts. */
  #settleHandshake(err?: Error): void {
    const waiting = this.#handshaken;
    if (!waiting) return;
    this.#handshaken = undefined;
    if (err) waiting.reject(err);
    else waiting.resolve();
  }

  /**
   * The engine closed its side. A killed engine does exactly that too, so the end counts only once
   * the engine answers a ping on a fresh connection; otherwise the stream errors.
   */
  #endReading(): void {
    if (this.#finished) return;
    this.#finished = true;
    void this.#confirmEnd().then((failure) => {
      try {
        if (failure) this.#controller.error(failure);
        else this.#controller.close();
      } catch {
        // cancelled meanwhile: nothing is reading any more
      }
    });
  }

  #fail(error: Error & { code?: string }): void {
    if (!this.#finished) {
      this.#finished = true;
      // The engine refusing our certificate arrives after the handshake, as an alert.
      const tls = this.#tls ? tlsError(this.#address, error, false, this.#clientCert) : undefined;
      this.#controller.error(tls ?? new DockerConnectionError(this.#address, error.code ?? "ECONNRESET", error.message, { cause: error }));
    }
    this.#failWriter(new DockerConnectionError(this.#address, error.code, error.message, { cause: error }));
  }

  #failWriter(err: Error): void {
    const failed = this.#failed;
    this.#pending = undefined;
    this.#drained = this.#failed = undefined;
    failed?.(err);
  }

  /** Writes what is pending; resolves the waiting writer once all of it is out. */
  #flush(): void {
    const socket = this.#socket;
    if (!socket || !this.#pending) return;
    const written = socket.write(this.#pending);
    if (written < 0) return this.#failWriter(new DockerConnectionError(this.#address, "EPIPE", CONNECTION_ADVICE.closed));
    this.#pending = written < this.#pending.length ? this.#pending.subarray(written) : undefined;
    if (this.#pending) return; // the rest goes at the next drain
    const drained = this.#drained;
    this.#drained = this.#failed = undefined;
    drained?.();
  }

  attach(socket: BunSocket): Duplex {
    this.#socket = socket;
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.#closed) throw new DockerConnectionError(this.#address, "EPIPE", CONNECTION_ADVICE.closed);
        return new Promise<void>((resolve, reject) => {
          this.#pending = chunk;
          this.#drained = resolve;
          this.#failed = reject;
          this.#flush();
        });
      },
      close: () => {
        // Half-close: the engine sees EOF on stdin and the read side stays open. Bun's `end()`
        // would close both directions at once; `shutdown()` sends just the FIN.
        this.#shutDown = true;
        if (!this.#closed) socket.shutdown();
      },
      abort: () => {
        socket.terminate();
      },
    });
    return {
      readable: this.readable,
      writable,
      close: () => socket.terminate(),
    };
  }
}
