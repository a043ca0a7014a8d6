// The Node transport's HTTP/1.1 client: a keep-alive pool of raw connections (unix socket, TCP, TLS,
// or any Duplex such as an ssh process) speaking just the HTTP the engine needs.
//
// Why not node:http: per request it costs about twice the CPU of the engine's own work on a ping
// (ClientRequest/IncomingMessage streams, header objects, the Agent's bookkeeping, an AbortSignal
// listener chain), so a sequential client spent more time in node:http than waiting for the engine.
// Here a request is one write of a prebuilt head, and the response head is parsed with native
// Buffer searches and one regular expression per line, as strictly as the core's parser
// (src/transport/http/http1.ts, used for the upgrade handshake), which is the fallback for anything unusual.
//
// Behaviour kept from the node:http transport: bodies stream both ways with backpressure (a paused
// socket when the reader's queue is full); at most `maxSockets` connections, further requests queue;
// idle connections are reused last-in first-out and do not keep the process alive; aborting closes
// the connection; a GET or HEAD that meets a reset on a reused connection before any byte of the
// answer (the engine closed it while idle) is sent once more on a fresh connection, and the other
// idle connections, most likely cut by the same event, are dropped; a body that ends with the
// connection is confirmed by `confirmEnd` before it counts as complete.

import type { Duplex as NodeDuplex } from "node:stream";
import { CONNECTION_ADVICE } from "../src/errors/advice.ts";
import { DockerConnectionError, DockerError, DockerStreamError } from "../src/errors/errors.ts";
import { bodyFraming, ChunkedDecoder, parseResponseHead, type BodyFraming } from "../src/transport/http/http1.ts";
import { requestHead } from "../src/transport/http/wire.ts";
import { onOwnAbort } from "../src/request/deadline.ts";
import type { TransportRequest, TransportResponse } from "../src/transport/transport.ts";
import { DEFAULT_IDLE_TIMEOUT } from "../src/transport/http/pool-limits.ts";
import { IdleSweep } from "../src/transport/http/idle-sweep.ts";

export interface Http1PoolOptions {
  /**
   * Opens a connection. Writes may be issued at once: sockets queue them until connected. A
   * net.Socket made with `onread: readInto(onRead)` hands every read to `onRead` instead of
   * emitting 'data' (see readInto); any other Duplex emits 'data' as usual.
   */
  open(onRead: (bytes: Uint8Array) => void): NodeDuplex;
  /** Most simultaneous connections. */
  maxSockets: number;
  /** Host header value. */
  host: string;
  /** Address for messages. */
  address: string;
  /** Turns a connection's error into the error callers see (TLS wording and the like). */
  mapError(err: Error & { code?: string }, socket: NodeDuplex): Error;
  /**
   * Called when a body delimited by the connection's end (exec start, attach) has ended, which is
   * also all a killed engine does; resolves with the error to raise instead, if the engine is gone.
   */
  confirmEnd?(): Promise<Error | undefined>;
  /**
   * Milliseconds an idle connection is kept for reuse before it is closed; 0 keeps it until the
   * engine closes it. Default 90 s (as Go's HTTP client): a proxy or load balancer on the way may
   * drop a quiet connection without a word, and a request written onto it would be lost.
   */
  idleTimeout?: number;
}

const MAX_HEAD = 64 * 1024;
/** Bytes of an answer held before anyone reads it, past which the connection is paused. */
const MAX_UNREAD = 1024 * 1024;
/** Pieces smaller than this on average are joined when handed on together. */
const SMALL_PIECE = 8 * 1024;

/**
 * What every socket made with `onread: readInto(...)` reads into. One is enough for all of them:
 * reads run on this thread one at a time, and each is copied out before the next can start.
 */
const READ_BUFFER = new Uint8Array(64 * 1024);

/**
 * The `onread` option of net.connect: the socket reads into READ_BUFFER and hands each read, copied
 * into a Uint8Array of its own, to `deliver`, instead of pushing it through its Readable. A stream
 * of small reads (exec output the engine forwards 4 KiB at a time) then costs one callback per read
 * instead of the Readable's push, 'data' event and the ticks it schedules. pause() and resume()
 * stop and restart the socket's reading as before.
 */
export function readInto(deliver: (bytes: Uint8Array) => void): { buffer: Uint8Array; callback(length: number, buffer: Uint8Array): boolean } {
  return {
    buffer: READ_BUFFER,
    callback(length, buffer) {
      deliver(buffer.slice(0, length));
      return true;
    },
  };
}

export class Http1Pool {
  readonly #options: Http1PoolOptions;
  readonly #idle: Connection[] = [];
  readonly #waiting: Exchange[] = [];
  #open = 0;
  /** Open connections carrying a long-lived stream (TransportRequest.stream): outside the limit. */
  #streaming = 0;
  #closed = false;
  readonly #sweep: IdleSweep<Connection>;

  constructor(options: Http1PoolOptions) {
    this.#options = options;
    this.#sweep = new IdleSweep({
      timeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      idle: () => this.#idle,
      expire: (conn) => conn.destroy(), // its close event takes it off the idle list
      unref: (timer) => (timer as { unref?(): unknown }).unref?.(),
    });
  }

  get options(): Http1PoolOptions {
    return this.#options;
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    let head: string;
    try {
      head = headOf(req, this.#options.host);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<TransportResponse>((resolve, reject) => {
      const exchange = new Exchange(this, req, head, resolve, reject);
      if (req.signal?.aborted) return exchange.abort();
      this.dispatch(exchange, false);
    });
  }

  /**
   * Gives the exchange a connection now, or queues it until one is free. `fresh` (a retry after a
   * reused connection failed) always opens a new one: it replaces the failed one, which is about to
   * be forgotten, so the limit is exceeded by one only for a moment.
   */
  dispatch(exchange: Exchange, fresh: boolean): void {
    if (this.#closed) return exchange.fail(new DockerConnectionError(this.#options.address, "ECONNRESET", "the client was closed"));
    if (fresh) return this.#connect().run(exchange);
    let conn: Connection | undefined;
    while ((conn = this.#idle.pop()) !== undefined) {
      if (this.#sweep.expired(conn)) {
        conn.destroy();
        continue;
      }
      if (!conn.dead) {
        conn.reused = true;
        return conn.run(exchange);
      }
    }
    if (exchange.stream || this.#open - this.#streaming < this.#options.maxSockets) return this.#connect().run(exchange);
    this.#waiting.push(exchange);
    exchange.queued = true;
  }

  /** A queued exchange that was aborted leaves the queue. */
  unqueue(exchange: Exchange): void {
    const i = this.#waiting.indexOf(exchange);
    if (i !== -1) this.#waiting.splice(i, 1);
  }

  #connect(): Connection {
    this.#open++;
    return new Connection(this);
  }

  /** Counts the connection as carrying a stream while `exchange` runs on it, or stops counting it. */
  streaming(conn: Connection, on: boolean): void {
    if (conn.streaming === on) return;
    conn.streaming = on;
    this.#streaming += on ? 1 : -1;
  }

  /** A connection whose exchange ended cleanly: next waiter, or the idle list. */
  release(conn: Connection): void {
    this.streaming(conn, false);
    const next = this.#waiting.shift();
    if (next) {
      next.queued = false;
      conn.reused = true;
      return conn.run(next);
    }
    if (this.#closed) return conn.destroy();
    this.#idle.push(conn);
    conn.idle();
    this.#sweep.arm();
  }

  /** A connection that closed or was destroyed: forget it and let a waiter open another. */
  forget(conn: Connection): void {
    this.streaming(conn, false);
    this.#open--;
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    const next = this.#waiting.shift();
    if (next) {
      next.queued = false;
      this.dispatch(next, false);
    }
  }

  /** Closes the idle connections (after one of them turned out dead). */
  dropIdle(): void {
    for (const conn of this.#idle.splice(0)) conn.destroy();
  }

  close(): void {
    this.#closed = true;
    this.#sweep.stop();
    for (const conn of this.#idle.splice(0)) conn.destroy();
    for (const exchange of this.#waiting.splice(0)) exchange.fail(new DockerConnectionError(this.#options.address, "ECONNRESET", "the client was closed"));
  }
}

/** One connection; at most one exchange on it at a time. */
class Connection {
  readonly pool: Http1Pool;
  readonly socket: NodeDuplex & { ref?(): unknown; unref?(): unknown; setNoDelay?(on: boolean): unknown };
  exchange: Exchange | null = null;
  /** Carrying a long-lived stream, counted outside the pool's limit. */
  streaming = false;
  reused = false;
  dead = false;
  /** When the connection last went idle (Date.now()). */
  idleSince = 0;
  #forgotten = false;
  /** Reading stopped (a reader fell behind); the next exchange on the connection starts it again. */
  #paused = false;

  constructor(pool: Http1Pool) {
    this.pool = pool;
    // Whichever way the socket delivers, reads arrive at #read: through readInto, or as 'data'.
    const socket = pool.options.open((bytes) => this.#read(bytes));
    this.socket = socket;
    this.socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.#read(chunk));
    socket.on("end", () => {
      this.dead = true;
      this.exchange?.onEnd(this);
      // Requests never half-close, so the connection is over for this side too.
      this.socket.destroy();
    });
    socket.on("error", (err: Error) => {
      this.dead = true;
      this.exchange?.onClose(err, this);
    });
    socket.on("close", () => {
      this.dead = true;
      this.exchange?.onClose(null, this);
      this.exchange = null;
      if (!this.#forgotten) {
        this.#forgotten = true;
        this.pool.forget(this);
      }
    });
  }

  #read(bytes: Uint8Array): void {
    const exchange = this.exchange;
    if (!exchange) return this.destroy(); // the engine does not speak unasked: whatever this is, the connection is unusable
    try {
      exchange.onData(bytes, this);
    } catch (err) {
      // Nothing thrown here may reach the socket's emitter: it would crash the process.
      this.destroy();
      exchange.fail(err instanceof DockerError ? err : new DockerStreamError(`Reading the engine's answer failed: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err }));
    }
  }

  run(exchange: Exchange): void {
    this.exchange = exchange;
    this.pool.streaming(this, exchange.stream);
    this.socket.ref?.();
    // A body can end while its unread part holds the connection paused: the next answer must be read.
    this.resume();
    exchange.start(this);
  }

  /** Stops reading (only the first call of several does anything). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.socket.resume();
  }

  idle(): void {
    this.exchange = null;
    this.idleSince = Date.now();
    // An idle connection must not keep the process alive (node:http's Agent does the same).
    this.socket.unref?.();
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }
}

const HEAD = 0, BODY = 1, DONE = 2;

/** A request and its response on one connection. */
class Exchange {
  readonly #pool: Http1Pool;
  readonly #req: TransportRequest;
  readonly #head: string;
  readonly #resolve: (r: TransportResponse) => void;
  readonly #reject: (e: Error) => void;
  #conn: Connection | null = null;
  #state = HEAD;
  #buffer: Buffer | null = null;
  #searched = 0;
  #framing: BodyFraming = { kind: "none" };
  #remaining = 0;
  #chunked: ChunkedDecoder | null = null;
  #keepAlive = true;
  #requestSent = false;
  #received = false;
  #attempts = 0;
  #response: Http1Response | null = null;
  #unlisten: (() => void) | null = null;
  queued = false;


  /** A long-lived stream (TransportRequest.stream): its connection is outside the pool's limit. */
  get stream(): boolean {
    return this.#req.stream === true;
  }

  constructor(pool: Http1Pool, req: TransportRequest, head: string, resolve: (r: TransportResponse) => void, reject: (e: Error) => void) {
    this.#pool = pool;
    this.#req = req;
    this.#head = head;
    this.#resolve = resolve;
    this.#reject = reject;
    // The core gives every call a signal of its own (src/request/deadline.ts), shared with nothing else.
    if (req.signal) this.#unlisten = onOwnAbort(req.signal, () => this.abort());
  }

  start(conn: Connection): void {
    this.#conn = conn;
    this.#attempts++;
    const body = this.#req.body;
    const socket = conn.socket;
    if (body === undefined || body === null) {
      socket.write(this.#head, "latin1");
      this.#requestSent = true;
    } else if (typeof body === "string" || body instanceof Uint8Array) {
      socket.cork();
      socket.write(this.#head, "latin1");
      socket.write(body);
      socket.uncork();
      this.#requestSent = true;
    } else {
      socket.write(this.#head, "latin1");
      const stream = typeof Blob !== "undefined" && body instanceof Blob ? (body.stream() as ReadableStream<Uint8Array>) : (body as ReadableStream<Uint8Array>);
      // A Blob's size went out as Content-Length; a stream's length is unknown, so it goes chunked.
      const chunked = !(typeof Blob !== "undefined" && body instanceof Blob);
      this.#writeStream(conn, stream, chunked).then(
        () => (this.#requestSent = true),
        (err) => {
          if (this.#conn !== conn) return;
          conn.destroy();
          this.fail(err instanceof DockerError ? err : new DockerConnectionError(this.#pool.options.address, (err as { code?: string })?.code, String((err as Error)?.message ?? err), { cause: err }));
        },
      );
    }
  }

  async #writeStream(conn: Connection, stream: ReadableStream<Uint8Array>, chunked: boolean): Promise<void> {
    const socket = conn.socket;
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.#conn !== conn || conn.dead) {
          await reader.cancel().catch(() => {});
          return;
        }
        if (done) break;
        if (value.length === 0) continue;
        let ok: boolean;
        if (chunked) {
          socket.cork();
          socket.write(`${value.length.toString(16)}\r\n`, "latin1");
          socket.write(value);
          ok = socket.write("\r\n", "latin1");
          socket.uncork();
        } else {
          ok = socket.write(value);
        }
        if (!ok) await drained(socket);
      }
      if (chunked && this.#conn === conn && !conn.dead) socket.write("0\r\n\r\n", "latin1");
    } finally {
      reader.releaseLock();
    }
  }

  onData(chunk: Uint8Array, from: Connection): void {
    if (from !== this.#conn) return from.destroy();
    this.#received = true;
    if (this.#state === BODY) return this.#body(chunk);
    if (this.#state === DONE) return this.#conn?.destroy();
    let buf = this.#buffer === null ? asBuffer(chunk) : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      let head;
      try {
        head = fastHead(buf, Math.max(0, this.#searched - 3)) ?? strictHead(buf, Math.max(0, this.#searched - 3));
      } catch (err) {
        this.#conn?.destroy();
        return this.fail(err as Error);
      }
      if (head === null) {
        if (buf.length > MAX_HEAD) {
          this.#conn?.destroy();
          return this.fail(new DockerStreamError(`The engine's response head is larger than ${MAX_HEAD} bytes`));
        }
        this.#buffer = buf;
        this.#searched = buf.length;
        return;
      }
      this.#searched = 0;
      const rest = buf.subarray(head.headLength);
      if (head.status >= 100 && head.status < 200 && head.status !== 101) {
        // Informational (100 Continue): the real answer follows.
        buf = rest;
        this.#buffer = null;
        if (buf.length === 0) return;
        continue;
      }
      this.#buffer = null;
      if (head.status === 101) {
        this.#conn?.destroy();
        return this.fail(new DockerStreamError(`The engine switched protocols on ${this.#req.method} ${this.#req.path}, which was not asked for`));
      }
      const hasBody = this.#req.method !== "HEAD" && head.status !== 204 && head.status !== 304;
      try {
        this.#framing = framing(head.fields, hasBody);
      } catch (err) {
        this.#conn?.destroy();
        return this.fail(err as Error);
      }
      const connection = head.fields.get("connection");
      this.#keepAlive = connection === undefined || !/\bclose\b/i.test(connection);
      this.#state = BODY;
      this.#response = new Http1Response(this, head.status, head.fields);
      this.#resolve(this.#response);
      if (this.#framing.kind === "length") this.#remaining = this.#framing.length;
      else if (this.#framing.kind === "chunked") this.#chunked = new ChunkedDecoder();
      if (this.#framing.kind === "none" || (this.#framing.kind === "length" && this.#remaining === 0)) {
        if (rest.length !== 0) this.#keepAlive = false;
        return this.#finish();
      }
      if (rest.length !== 0) this.#body(rest);
      return;
    }
  }

  #body(bytes: Uint8Array): void {
    const response = this.#response!;
    switch (this.#framing.kind) {
      case "length": {
        const take = Math.min(this.#remaining, bytes.length);
        if (take !== 0) response.push(take === bytes.length ? bytes : bytes.subarray(0, take));
        this.#remaining -= take;
        if (this.#remaining === 0) {
          if (take !== bytes.length) this.#keepAlive = false; // bytes past the body: not reusable
          this.#finish();
        }
        return;
      }
      case "chunked": {
        let piece: Uint8Array;
        try {
          // The socket's chunks are ours: the payload is moved over the framing in place.
          piece = this.#chunked!.pushInPlace(bytes);
        } catch (err) {
          this.#conn?.destroy();
          return this.#failBody(err as Error);
        }
        // The engine writes a followed log or a progress stream as one HTTP chunk per line: handing
        // them on one by one would cost a trip through every stream stage per line. What one read
        // brought comes out as one piece.
        if (piece.length !== 0) response.push(piece);
        if (this.#chunked!.done) this.#finish();
        return;
      }
      case "eof":
        response.push(bytes);
        return;
      default:
        this.#keepAlive = false;
    }
  }

  /** The response is complete: the connection goes back to the pool when it can be reused. */
  #finish(): void {
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#stopListening();
    const confirm = this.#framing.kind === "eof" ? this.#pool.options.confirmEnd : undefined;
    if (confirm) {
      const response = this.#response;
      void confirm().then((failure) => (failure ? response?.error(failure) : response?.end()));
    } else {
      this.#response?.end();
    }
    const conn = this.#conn;
    this.#conn = null;
    if (!conn) return;
    if (this.#keepAlive && this.#requestSent && !conn.dead && this.#framing.kind !== "eof") this.#pool.release(conn);
    else conn.destroy();
  }

  onEnd(from: Connection): void {
    if (from !== this.#conn) return;
    if (this.#state === BODY && this.#framing.kind === "eof") return this.#finish();
    this.onClose(null, from);
  }

  onClose(err: (Error & { code?: string }) | null, from: Connection): void {
    const conn = this.#conn;
    if (this.#state === DONE || conn !== from) return;
    this.#conn = null;
    if (this.#state === BODY) {
      if (this.#framing.kind === "eof" && err === null) return this.#finish();
      return this.#failBody(this.#prematureClose(err, conn));
    }
    // No answer yet. A kept-alive connection the engine closed while idle fails like this: send the
    // request again on a new connection if nothing came back and the body can be sent again.
    // Only GET and HEAD: they change nothing, whereas the engine may have acted on anything else.
    const body = this.#req.body;
    const replayable = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
    const idempotent = this.#req.method === "GET" || this.#req.method === "HEAD";
    if (conn.reused && !this.#received && replayable && idempotent && this.#attempts === 1 && !this.#req.signal?.aborted && (err === null || err.code === "ECONNRESET" || err.code === "EPIPE")) {
      this.#pool.dropIdle();
      this.#pool.dispatch(this, true);
      return;
    }
    this.fail(err === null ? new DockerConnectionError(this.#pool.options.address, "ECONNRESET", CONNECTION_ADVICE.beforeAnswer) : this.#pool.options.mapError(err, conn.socket));
  }

  #prematureClose(err: (Error & { code?: string }) | null, conn: Connection): Error {
    if (err instanceof DockerConnectionError) return err;
    if (err?.name === "AbortError") return err;
    if (err && err.code === "ESSH") return new DockerConnectionError(this.#pool.options.address, err.code, err.message, { cause: err });
    if (err && conn) {
      const mapped = this.#pool.options.mapError(err, conn.socket);
      if (mapped instanceof DockerConnectionError && !/ECONNRESET|EPIPE/.test(err.code ?? "")) return mapped;
    }
    return new DockerConnectionError(this.#pool.options.address, err?.code ?? "ECONNRESET", CONNECTION_ADVICE.beforeResponseEnd, { cause: err ?? undefined });
  }

  /** Fails the exchange before its response was handed out. */
  fail(err: Error): void {
    if (this.#state === DONE) return;
    if (this.#state === BODY) return this.#failBody(err);
    this.#state = DONE;
    this.#stopListening();
    if (this.queued) this.#pool.unqueue(this);
    this.#reject(err);
  }

  #failBody(err: Error): void {
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#stopListening();
    this.#response?.error(err);
  }

  abort(): void {
    const reason = this.#req.signal?.reason;
    const err = Object.assign(new Error("The operation was aborted", { cause: reason }), { name: "AbortError", code: "ABORT_ERR" });
    const conn = this.#conn;
    this.#conn = null;
    if (this.#state === HEAD) this.fail(err);
    else this.#failBody(err);
    conn?.destroy();
  }

  /** The reader stopped early: the rest of the body is not wanted and the connection cannot be reused. */
  cancel(): void {
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#stopListening();
    const conn = this.#conn;
    this.#conn = null;
    conn?.destroy();
  }

  pause(): void {
    this.#conn?.pause();
  }

  resume(): void {
    this.#conn?.resume();
  }

  #stopListening(): void {
    if (this.#unlisten) {
      this.#unlisten();
      this.#unlisten = null;
    }
  }
}

const PENDING = 0, TEXT = 1, STREAM = 2;

/**
 * The answer as the core sees it. Until someone reads it, body bytes are held (up to MAX_UNREAD, then
 * the connection pauses); `text()` collects them, `body` streams them.
 */
class Http1Response implements TransportResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly #exchange: Exchange;
  #mode = PENDING;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #ended = false;
  #error: Error | null = null;
  #body: ReadableStream<Uint8Array> | undefined;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #textDone: ((text: string | undefined) => void) | null = null;
  #limit = Infinity;
  #progress: (() => void) | null = null;
  #textFailed: ((err: Error) => void) | null = null;
  /** STREAM: a read is waiting for the next piece (none was held when it asked). */
  #wanted = false;

  constructor(exchange: Exchange, status: number, fields: Head["fields"]) {
    this.#exchange = exchange;
    this.status = status;
    this.headers = { get: (name) => fields.get(name.toLowerCase()) ?? null };
  }

  push(piece: Uint8Array): void {
    if (this.#mode === STREAM && this.#wanted) {
      // A read is waiting: the piece goes to it at once.
      this.#wanted = false;
      this.#controller!.enqueue(view(piece));
      return;
    }
    this.#chunks.push(piece);
    this.#bytes += piece.length;
    if (this.#mode === STREAM) {
      if (this.#bytes > MAX_UNREAD) this.#exchange.pause();
    } else if (this.#mode === PENDING) {
      if (this.#bytes > MAX_UNREAD) this.#exchange.pause();
    } else if (this.#mode === TEXT) {
      this.#progress?.();
      if (this.#bytes > this.#limit) {
        this.#overflow();
        this.#textDone!(undefined);
      }
    }
  }

  /** More than the collector's limit came: nothing more is read and the connection goes. */
  #overflow(): void {
    this.#chunks = [];
    this.#bytes = 0;
    this.#ended = true;
    this.#exchange.cancel();
  }

  collect(maxBytes: number, progress: () => void): Promise<string | undefined> {
    if (this.#mode !== PENDING) return Promise.reject(new TypeError("The body has already been read"));
    if (this.#bytes > maxBytes) {
      this.#mode = TEXT;
      this.#overflow();
      return Promise.resolve(undefined);
    }
    this.#limit = maxBytes;
    this.#progress = progress;
    return this.text();
  }

  end(): void {
    if (this.#ended || this.#error) return;
    this.#ended = true;
    if (this.#mode === STREAM) {
      try {
        if (this.#chunks.length !== 0) this.#flush(this.#controller!);
        this.#controller!.close();
      } catch {
        // cancelled by the reader meanwhile
      }
    } else if (this.#mode === TEXT) {
      let text: string;
      try {
        text = this.#joined();
      } catch (err) {
        // A body too large for one string (ERR_STRING_TOO_LONG): this runs in the socket's callback.
        return this.#textFailed!(new DockerStreamError(`The engine's answer cannot be read as text: ${(err as Error).message}`, undefined, { cause: err }));
      }
      this.#textDone!(text);
    }
  }

  error(err: Error): void {
    if (this.#ended || this.#error) return;
    this.#error = err;
    if (this.#mode === STREAM) {
      try {
        this.#controller!.error(err);
      } catch {
        // cancelled by the reader meanwhile
      }
    } else if (this.#mode === TEXT) this.#textFailed!(err);
  }

  #joined(): string {
    const chunks = this.#chunks;
    this.#chunks = [];
    if (chunks.length === 0) return "";
    return (chunks.length === 1 ? asBuffer(chunks[0]!) : Buffer.concat(chunks, this.#bytes)).toString("utf8");
  }

  /**
   * Hands the pieces held to the stream: small ones (a log's lines, a few per read) joined into one,
   * large ones (exec output, 64 KiB reads) as they are, where a copy would only cost.
   */
  #flush(controller: ReadableStreamDefaultController<Uint8Array>): void {
    const chunks = this.#chunks;
    const bytes = this.#bytes;
    this.#chunks = [];
    this.#bytes = 0;
    if (chunks.length === 1 || bytes > chunks.length * SMALL_PIECE) for (const chunk of chunks) controller.enqueue(view(chunk));
    else controller.enqueue(view(Buffer.concat(chunks, bytes)));
  }

  /**
   * Pulled, with nothing queued ahead of the reader: a read takes everything that arrived since the
   * last one as one piece. When the reader is slower than the socket (a replayed log: many small
   * reads, one per line the engine flushed), the stages after the transport then run once per
   * batch, not once per read.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body) return this.#body;
    if (this.#mode === TEXT) return null; // read as text already
    this.#mode = STREAM;
    this.#body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          if (this.#error) {
            this.#chunks = [];
            controller.error(this.#error);
          } else if (this.#ended) {
            if (this.#chunks.length !== 0) this.#flush(controller);
            controller.close();
          }
        },
        pull: (controller) => {
          if (this.#chunks.length !== 0) this.#flush(controller);
          else this.#wanted = true;
          this.#exchange.resume();
        },
        cancel: () => {
          this.#chunks = [];
          this.#exchange.cancel();
        },
      },
      { highWaterMark: 0 },
    );
    return this.#body;
  }

  text(): Promise<string> {
    if (this.#mode === STREAM) return new Response(this.#body!).text();
    if (this.#mode === TEXT) return Promise.reject(new TypeError("The body has already been read"));
    this.#mode = TEXT;
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) {
      try {
        return Promise.resolve(this.#joined());
      } catch (err) {
        return Promise.reject(new DockerStreamError(`The engine's answer cannot be read as text: ${(err as Error).message}`, undefined, { cause: err }));
      }
    }
    this.#exchange.resume();
    return new Promise<string>((resolve, reject) => {
      this.#textDone = resolve as (text: string | undefined) => void;
      this.#textFailed = reject;
    });
  }
}

/**
 * Bytes as a plain Uint8Array (no copy). The decoders cut a body into views, one per frame or
 * line: a view of a Buffer is a Buffer, which costs Node several times a plain one's construction
 * (a followed log is a frame per line). What readInto copies out is plain already.
 */
function view(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Bytes as a Buffer, for its searches and decoding (no copy). */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The request line and headers, written by the core's wire module, with the framing of the real body. */
function headOf(req: TransportRequest, host: string): string {
  const body = req.body;
  const framing =
    body === undefined || body === null ? undefined
    : typeof body === "string" ? Buffer.byteLength(body)
    : body instanceof Uint8Array ? body.byteLength
    : typeof Blob !== "undefined" && body instanceof Blob ? body.size
    : "chunked";
  return requestHead({ method: req.method, path: req.path, host, headers: req.headers, body: framing });
}

// The whole head in one linear pass: status line, then `name: value` lines whose names are tokens and
// whose values hold no control characters but HTAB.
const HEAD_TEXT = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: [^\x00-\x08\x0a-\x1f\x7f]*)?(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*)*$/;

/** Response headers looked up in the head's text when asked for, instead of parsed up front. */
class HeadFields {
  readonly #text: string;
  readonly #lower: string;
  constructor(text: string) {
    this.#text = text;
    this.#lower = text.toLowerCase();
  }
  get(name: string): string | undefined {
    const needle = `\r\n${name.toLowerCase()}:`;
    let at = this.#lower.indexOf(needle);
    if (at === -1) return undefined;
    let value: string | undefined;
    do {
      const start = at + needle.length;
      const end = this.#text.indexOf("\r\n", start);
      const v = this.#text.slice(start, end === -1 ? undefined : end).replace(/^[ \t]+|[ \t]+$/g, "");
      value = value === undefined ? v : `${value}, ${v}`; // repeated fields join, as RFC 9110 allows
      at = this.#lower.indexOf(needle, start);
    } while (at !== -1);
    return value;
  }
}

interface Head {
  status: number;
  headLength: number;
  fields: { get(name: string): string | undefined };
}

/**
 * The common case of a response head, checked with one regular expression and searched natively:
 * null when the head is not complete or anything in it is unusual (the core's parser then decides,
 * with its precise errors).
 */
function fastHead(buf: Buffer, from: number): Head | null {
  const end = buf.indexOf("\r\n\r\n", from, "latin1");
  if (end === -1) return null;
  const text = buf.toString("latin1", 0, end);
  const m = HEAD_TEXT.exec(text);
  if (m === null) return null;
  return { status: Number(m[1]), headLength: end + 4, fields: new HeadFields(text) };
}

function strictHead(buf: Buffer, from: number): Head | null {
  const head = parseResponseHead(buf, from);
  return head && { status: head.status, headLength: head.headLength, fields: head.headers };
}

const DIGITS = /^[0-9]{1,15}$/;

/** How the body ends: bodyFraming's answer, without its work for the usual single Content-Length. */
function framing(fields: Head["fields"], hasBody: boolean): BodyFraming {
  if (!hasBody) return { kind: "none" };
  const te = fields.get("transfer-encoding");
  const cl = fields.get("content-length");
  if (te === undefined && cl !== undefined && DIGITS.test(cl)) return { kind: "length", length: Number(cl) };
  const map = new Map<string, string>();
  if (te !== undefined) map.set("transfer-encoding", te);
  if (cl !== undefined) map.set("content-length", cl);
  return bodyFraming(map, true);
}

/**
 * Resolves when a socket can take more writes, or has closed. Both listeners go away together:
 * a long upload waits many times on one socket, and leftover listeners would pile up.
 */
export function drained(socket: NodeDuplex): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.once("drain", done);
    socket.once("close", done);
  });
}
