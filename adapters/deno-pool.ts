// The Deno transport's keep-alive pool for calls answered at once (inspect, list, ping, create...):
// raw connections (Deno.connect, Deno.connectTls) kept open between requests, each request written
// and its answer read by the core's HTTP/1.1 code (src/transport/http/: wire.ts writes the head,
// response.ts reads the answer).
//
// Why not fetch: a sequential ping through Deno's fetch and a Deno.HttpClient cost about twice the
// CPU of the same exchange over a raw connection (a ReadableStream, a reader, a signal and a timer
// per call, and the garbage of each); Deno's fetch served a sequential client half as many calls a
// second as Node's pool.
//
// What the pool does:
// - a connection goes back to the pool once its answer was read to the end, unless the engine said
//   `Connection: close` or the body was delimited by the connection's end; reused last-in first-out;
// - at most `maxSockets` connections open at once (default 64, as Node's pool); a call that finds
//   none free waits, first come first served, for one that comes back or a slot that a closed one
//   leaves (its signal still ends the wait);
// - at most `maxIdle` idle connections, each closed after `idleTimeout`; idle connections keep a read
//   pending, so one the engine closes while idle leaves the pool at once, and neither they nor the
//   timer keep the process alive (`unref`);
// - a GET or HEAD whose reused connection fails before the first byte of the answer (the engine
//   closed it as it was taken) is sent once more, on a fresh connection, and the other idle
//   connections, most likely cut by the same event, are closed;
// - the request's signal (the call's timeout, deadline and the caller's abort, src/request/deadline.ts)
//   fails what is pending and closes the connection.
// Only bodies that can be sent again come here (none, bytes, text); a stream body goes over a
// connection of its own (src/transport/http/exchange.ts).

import { DockerConnectionError, DockerStreamError } from "../src/errors/errors.ts";
import { concatBytes } from "../src/streams/bytes.ts";
import { bodyFraming } from "../src/transport/http/http1.ts";
import { IdleSweep } from "../src/transport/http/idle-sweep.ts";
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SOCKETS } from "../src/transport/http/pool-limits.ts";
import { abortRace, BodySource, bodyPieces, pulledBody, readFinalHead, toDockerError, type Reader } from "../src/transport/http/response.ts";
import { latin1Bytes, requestHead } from "../src/transport/http/wire.ts";
import type { TransportRequest, TransportResponse } from "../src/transport/transport.ts";

/** The part of a Deno.Conn (or Deno.TlsConn) the pool and the transport use. */
export interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  /** shutdown(2) of the write side: the peer reads EOF, reading goes on. */
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
  /** TLS connections: completes the handshake (otherwise done lazily on first read or write). */
  handshake?(): Promise<unknown>;
  /** Pending reads keep the process alive again / no longer (Deno 1.32+). */
  ref?(): void;
  unref?(): void;
}

declare const Deno: { unrefTimer?(id: number): void } | undefined;

export interface DenoPoolOptions {
  /** Opens a connection, ready for a request (a TLS handshake done); fails with berth's errors. */
  open(signal?: AbortSignal): Promise<DenoConn>;
  /** Host header value. */
  host: string;
  /** Address for messages. */
  address: string;
  /** A failed read or write as the error callers see; `fallback` is the code when the error has none. */
  failure(err: unknown, fallback: string): Error;
  /** Called when a body delimited by the connection's end has ended; the error to raise if the engine is gone. */
  confirmEnd?(): Promise<Error | undefined>;
  /** Most connections open at once; further calls wait for one. Default 64. */
  maxSockets?: number;
  /** Most idle connections kept; more are closed as they come back. Default 16. */
  maxIdle?: number;
  /** Milliseconds an idle connection is kept; 0 keeps it until the engine closes it. Default 90 s (Go's and Node's transports). */
  idleTimeout?: number;
}

const DEFAULT_MAX_IDLE = 16;
const MAX_HEAD = 64 * 1024;
const encoder = new TextEncoder();

/** Most bytes one read asks for. */
const READ_SIZE = 64 * 1024;
/**
 * Reads land one after another in a slab of this size, each handed on as a view of its part: no
 * copy, and no 64 KiB buffer behind a read of half that (the engine's 32 KiB exec frames often
 * arrive so), which is what a fresh buffer per read cost in memory.
 */
const SLAB_SIZE = 4 * READ_SIZE;
/** Reads smaller than this are copied out and their space reused: a few bytes must not hold a slab. */
const SMALL_READ = READ_SIZE / 4;

/**
 * Reads of a Deno connection into a slab (see SLAB_SIZE): each resolves with the bytes read, which
 * stay the caller's, or null at EOF. Errors are the connection's own (Deno's).
 */
export class SlabReads {
  readonly #conn: DenoConn;
  #slab = new Uint8Array(0);
  #offset = 0;

  constructor(conn: DenoConn) {
    this.#conn = conn;
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#slab.byteLength - this.#offset < READ_SIZE) {
      this.#slab = new Uint8Array(SLAB_SIZE);
      this.#offset = 0;
    }
    const buffer = this.#slab.subarray(this.#offset, this.#offset + READ_SIZE);
    const n = await this.#conn.read(buffer);
    if (n === null) return null;
    if (n < SMALL_READ) return buffer.slice(0, n);
    this.#offset += n;
    return buffer.subarray(0, n);
  }
}

/** Fails an exchange whose reused connection was dead before the answer began: sent again. */
class StaleConnection extends Error {
  constructor(readonly failure: unknown) {
    super("stale keep-alive connection");
  }
}

export class DenoPool {
  readonly #options: DenoPoolOptions;
  readonly #idle: PooledConn[] = [];
  readonly #maxIdle: number;
  readonly #maxSockets: number;
  readonly #sweep: IdleSweep<PooledConn>;
  /** Connections open or being opened, idle ones included. */
  #slots = 0;
  /** Calls waiting for a connection: each is handed one that came back, null for a freed slot, or why it cannot have one. */
  readonly #waiting: Array<(conn: PooledConn | null | Error) => void> = [];
  #closed = false;

  constructor(options: DenoPoolOptions) {
    this.#options = options;
    this.#maxIdle = options.maxIdle ?? DEFAULT_MAX_IDLE;
    this.#maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.#sweep = new IdleSweep({
      timeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      idle: () => this.#idle,
      expire: (conn) => {
        this.forget(conn);
        conn.destroy();
      },
      unref: (timer) => {
        if (typeof Deno !== "undefined") Deno.unrefTimer?.(timer as unknown as number);
      },
    });
  }

  get address(): string {
    return this.#options.address;
  }

  /** Idle connections (for tests). */
  get idleCount(): number {
    return this.#idle.length;
  }

  /** Connections open or being opened (for tests). */
  get openCount(): number {
    return this.#slots;
  }

  /**
   * Sends `req` (its body none, bytes or text) and resolves once the answer's head has arrived,
   * whatever its status. DockerConfigError for a request the wire refuses (nothing sent),
   * DockerConnectionError when connecting or the connection fails, DockerStreamError for an answer
   * that is not HTTP/1.x, an AbortError when `req.signal` aborts, before or after the head.
   */
  async request(req: TransportRequest): Promise<TransportResponse> {
    const body = req.body ?? undefined;
    if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)) throw new TypeError("DenoPool sends bytes or text bodies only");
    const bytes = typeof body === "string" ? encoder.encode(body) : body;
    const head = latin1Bytes(requestHead({ method: req.method, path: req.path, host: this.#options.host, headers: req.headers, body: bytes?.byteLength }));
    const message = bytes?.byteLength ? concatBytes([head, bytes]) : head;
    const idempotent = req.method === "GET" || req.method === "HEAD";
    req.signal?.throwIfAborted();
    let conn: PooledConn | null | undefined = this.#take();
    for (let attempt = 1; ; attempt++) {
      conn ??= await this.#slot(req.signal);
      conn ??= await this.#connect(req.signal);
      try {
        return await conn.exchange(req, message);
      } catch (err) {
        if (!(err instanceof StaleConnection)) throw err;
        if (attempt > 1 || !idempotent || req.signal?.aborted) throw err.failure;
        this.#dropIdle();
        conn = undefined;
      }
    }
  }

  /**
   * A connection for a call that found no idle one: null when a slot is free (taken for the caller,
   * who opens a connection in it), else one that comes back, or null for a slot freed meanwhile.
   */
  #slot(signal: AbortSignal | undefined): Promise<PooledConn | null> | null {
    if (this.#closed) throw this.#closedError();
    if (this.#slots < this.#maxSockets) {
      this.#slots++;
      return null;
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(waiter);
        if (i !== -1) this.#waiting.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter = (conn: PooledConn | null | Error): void => {
        signal?.removeEventListener("abort", onAbort);
        if (conn instanceof Error) reject(conn);
        else resolve(conn);
      };
      this.#waiting.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Opens a connection in a slot already taken; the slot is given back when opening fails. */
  async #connect(signal: AbortSignal | undefined): Promise<PooledConn> {
    try {
      if (this.#closed) throw this.#closedError();
      return new PooledConn(this, this.#options, await this.#options.open(signal));
    } catch (err) {
      this.closed();
      throw err;
    }
  }

  #closedError(): DockerConnectionError {
    return new DockerConnectionError(this.#options.address, "ECONNRESET", "the client was closed");
  }

  /** A connection was closed (or failed to open): its slot goes to the first waiting call, if any. */
  closed(): void {
    const next = this.#waiting.shift();
    if (next) next(null);
    else this.#slots--;
  }

  /** The most recently used idle connection still alive, or undefined. */
  #take(): PooledConn | undefined {
    const now = Date.now();
    for (let conn = this.#idle.pop(); conn !== undefined; conn = this.#idle.pop()) {
      if (this.#sweep.expired(conn, now)) conn.destroy();
      else if (!conn.dead) return conn;
    }
    return undefined;
  }

  /** A connection whose answer was read to its end, ready for another request. */
  release(conn: PooledConn): void {
    if (this.#closed) return conn.destroy();
    const next = this.#waiting.shift();
    if (next) {
      // Handed on as it is: used, so a failure before its next answer begins counts as stale.
      conn.reused = true;
      return next(conn);
    }
    if (this.#idle.length >= this.#maxIdle) return conn.destroy();
    this.#idle.push(conn);
    conn.idle();
    this.#sweep.arm();
  }

  /** An idle connection that died (the engine closed it, or spoke unasked). */
  forget(conn: PooledConn): void {
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
  }

  #dropIdle(): void {
    for (const conn of this.#idle.splice(0)) conn.destroy();
  }

  /** Closes the idle connections; connections in use close when their answers end. */
  close(): void {
    this.#closed = true;
    this.#sweep.stop();
    this.#dropIdle();
    const error = this.#closedError();
    for (const waiter of this.#waiting.splice(0)) waiter(error);
  }
}

/** One connection of the pool: at most one exchange on it at a time. */
class PooledConn {
  readonly #pool: DenoPool;
  readonly #options: DenoPoolOptions;
  readonly #conn: DenoConn;
  readonly #reads: SlabReads;
  /** The read started while idle: the next exchange's first read. */
  #pending: Promise<Uint8Array | null> | null = null;
  #isIdle = false;
  /** Why the current request could not be written. */
  #writeError: unknown = undefined;
  /** Bytes have come since the current exchange began. */
  #received = false;
  reused = false;
  dead = false;
  idleSince = 0;
  /** What readFinalHead and BodySource read through: a reader of the connection's bytes, no stream. */
  readonly #reader: Reader;

  constructor(pool: DenoPool, options: DenoPoolOptions, conn: DenoConn) {
    this.#pool = pool;
    this.#options = options;
    this.#conn = conn;
    this.#reads = new SlabReads(conn);
    this.#reader = { read: () => this.#read() };
  }

  async #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    let bytes: Uint8Array | null;
    const pending = this.#pending;
    this.#pending = null;
    try {
      bytes = await (pending ?? this.#reads.read());
    } catch (readError) {
      // A failed write closes the connection, failing the read: the write's error says why.
      const err = this.#writeError ?? readError;
      this.destroy();
      throw this.#received ? this.#options.failure(err, "ECONNRESET") : new StaleCandidate(this.#options.failure(err, "ECONNRESET"));
    }
    if (bytes === null) {
      this.dead = true;
      return { done: true, value: undefined };
    }
    this.#received = true;
    return { done: false, value: bytes };
  }

  idle(): void {
    this.#isIdle = true;
    this.reused = true;
    this.idleSince = Date.now();
    // An idle connection must not keep the process alive, and its pending read notices the engine
    // closing it (or speaking unasked, which leaves it unusable) while nobody uses it.
    this.#conn.unref?.();
    const pending = this.#reads.read();
    this.#pending = pending;
    const unusable = (): void => {
      if (!this.#isIdle) return; // taken meanwhile: the read is the answer's
      this.#pending = null;
      this.#pool.forget(this);
      this.destroy();
    };
    pending.then(unusable, unusable);
  }

  destroy(): void {
    this.#isIdle = false;
    if (this.dead && this.#closed) return;
    this.dead = true;
    this.#close();
  }

  #closed = false;
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
    this.#pool.closed();
  }

  /** Writes `message` and reads the answer's head; the body is read through the response. */
  async exchange(req: TransportRequest, message: Uint8Array): Promise<TransportResponse> {
    this.#isIdle = false;
    this.#received = false;
    this.#writeError = undefined;
    this.#conn.ref?.();
    const address = this.#options.address;
    const reused = this.reused;

    // Not awaited before reading: an engine may answer (with an error) before reading a large body,
    // and waiting for the write would deadlock. A failed write shows up on the reading side.
    let sent = false;
    let done = false;
    let writing: Promise<void> = Promise.resolve();

    /** The exchange is over: the connection goes back to the pool, or is closed. */
    const finish = (reusable: boolean): void => {
      if (done) return;
      done = true;
      unlisten();
      if (!reusable || this.dead) return this.destroy();
      if (sent) return this.#pool.release(this);
      // The answer ended before the request was written out: the engine will not read the rest.
      void writing.then(() => (sent && !this.dead ? this.#pool.release(this) : this.destroy()));
    };

    // One watch for the whole exchange: an abort fails what is pending and drops the connection.
    let unlisten = (): void => {};
    const watch = abortRace(req.signal, () => finish(false));
    const race = watch.race;
    unlisten = watch.unlisten;
    if (!done) {
      writing = this.#write(message).then(
        () => void (sent = true),
        (err: unknown) => {
          this.#writeError = err;
          this.destroy();
        },
      );
    }

    try {
      const { head: answer, rest } = await readFinalHead(this.#reader, race, MAX_HEAD, address);
      if (answer.status === 101) throw new DockerStreamError(`The engine switched protocols on ${req.method} ${req.path}, which was not asked for`);
      const { status, headers } = answer;
      const framing = bodyFraming(headers, req.method !== "HEAD" && status !== 204 && status !== 304);
      const keepAlive = framing.kind !== "eof" && !/(^|,)\s*close\s*(,|$)/i.test(headers.get("connection") ?? "");
      const source = new BodySource(this.#reader, rest, framing);
      const confirmEnd = framing.kind === "eof" ? this.#options.confirmEnd : undefined;
      if (framing.kind === "none") finish(keepAlive);

      /** The next piece of the body, null at its end: the connection goes back to the pool at the end, or is closed. */
      const next = bodyPieces(source, race, address, confirmEnd, (complete) => finish(complete && keepAlive));

      return new PooledResponse(status, headers, framing.kind === "none", next, () => finish(false));
    } catch (err) {
      finish(false);
      if ((err as Error)?.name === "AbortError") throw err;
      if (err instanceof StaleCandidate) {
        if (reused && !req.signal?.aborted) throw new StaleConnection(err.failure);
        throw err.failure;
      }
      // EOF before any byte on a reused connection: the engine closed it as it was taken.
      if (reused && !this.#received && err instanceof DockerConnectionError) throw new StaleConnection(err);
      throw toDockerError(err, address);
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.byteLength; ) offset += await this.#conn.write(offset === 0 ? bytes : bytes.subarray(offset));
  }
}

/** A read failed before any byte of the answer came: the error callers see, unless the request is sent again. */
class StaleCandidate extends Error {
  constructor(readonly failure: Error) {
    super(failure.message);
  }
}

/** The answer on a pooled connection: `text()` and `collect()` read it without a stream. */
class PooledResponse implements TransportResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly #empty: boolean;
  readonly #next: () => Promise<Uint8Array | null>;
  readonly #drop: () => void;
  #body: ReadableStream<Uint8Array> | null | undefined;

  constructor(status: number, fields: Map<string, string>, empty: boolean, next: () => Promise<Uint8Array | null>, drop: () => void) {
    this.status = status;
    this.headers = { get: (name) => fields.get(name.toLowerCase()) ?? null };
    this.#empty = empty;
    this.#next = next;
    this.#drop = drop;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body !== undefined) return this.#body;
    if (this.#empty) return (this.#body = null);
    return (this.#body = pulledBody(this.#next, this.#drop));
  }

  #take(): void {
    if (this.#body !== undefined) throw new TypeError("The body has already been read");
    this.#body = null;
  }

  async text(): Promise<string> {
    return (await this.#collect(Infinity, undefined))!;
  }

  collect(maxBytes: number, progress: () => void): Promise<string | undefined> {
    return this.#collect(maxBytes, progress);
  }

  async #collect(maxBytes: number, progress: (() => void) | undefined): Promise<string | undefined> {
    this.#take();
    if (this.#empty) return "";
    const first = await this.#next();
    if (first === null) return "";
    progress?.();
    if (first.byteLength > maxBytes) return this.#overflow();
    // The usual answer (a ping, an inspect) is one read: decoded at once, nothing joined.
    let second = await this.#next();
    if (second === null) return decoder.decode(first);
    const pieces = [first];
    let total = first.byteLength;
    for (; second !== null; second = await this.#next()) {
      progress?.();
      total += second.byteLength;
      if (total > maxBytes) return this.#overflow();
      pieces.push(second);
    }
    return decoder.decode(concatBytes(pieces, total));
  }

  /** More than the collector's limit came: nothing more is read and the connection goes. */
  #overflow(): undefined {
    this.#drop();
    return undefined;
  }
}

const decoder = new TextDecoder();
