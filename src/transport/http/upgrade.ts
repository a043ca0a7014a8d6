// The HTTP/1.1 connection takeover ("hijack") behind attach and exec with stdin. The core sends the
// request itself on a raw duplex from the adapter, reads the response head, and from then on hands the
// socket's two directions to the caller as plain byte streams. Written once here so every runtime that
// can open a socket gets identical behaviour.
//
// What the engine may answer:
// - `101 UPGRADED` (the engine honoured `Upgrade: tcp`): the connection is the stream.
// - `200 OK` with neither Content-Length nor Transfer-Encoding: older engines, and attach on some
//   versions, take the connection over without saying 101. The body runs to EOF and stdin still
//   flows, so this is treated exactly like 101.
// - another 2xx, or a 200 with a delimited body: not a takeover. `readable` then carries exactly the
//   decoded body and ends where the body ends.
// - 1xx other than 101 (`100 Continue`): informational, skipped.
// - 3xx and up: an error. Its body (JSON `{"message"}` or text) becomes the DockerHttpError.

import type { Duplex } from "../transport.ts";
import { DockerConnectionError, DockerStreamError, httpError } from "../../errors/errors.ts";
import { bodyFraming } from "./http1.ts";
import type { BodyFraming, ResponseHead } from "./http1.ts";
import { BodySource, readErrorBody, readFinalHead, toDockerError } from "./response.ts";
import { latin1Bytes, requestHead } from "./wire.ts";
import { abortReason, onAbort } from "../../request/deadline.ts";

export interface UpgradeRequest {
  method: string;
  /** Path with version prefix and query, already encoded: `/v1.47/containers/abc/attach?stream=1`. */
  path: string;
  /**
   * Extra request headers. Connection, Upgrade, Content-Length and Transfer-Encoding are set by
   * upgrade() itself; values given for them here are ignored. A Host given here replaces `host`.
   */
  headers: Record<string, string | readonly string[]>;
  body?: Uint8Array | string;
  /** Host header value; default `docker` (the engine ignores it on a unix socket). */
  host?: string;
  /** Protocol for the Upgrade header; default `tcp` (attach, exec). `POST /session` uses `h2c`. */
  protocol?: string;
}

export interface UpgradeOptions {
  /** Aborts the handshake only. Once upgrade() has resolved, stopping the streams is the caller's job. */
  signal?: AbortSignal;
  /** Largest response head accepted, in bytes. Default 64 KiB. */
  maxHeadBytes?: number;
  /** Path for error messages, without version prefix or query. Default: derived from `request.path`. */
  errorPath?: string;
  /** Where the duplex leads, for DockerConnectionError (pass `transport.address`). Default `the engine`. */
  address?: string;
  /** Called once when `readable` has ended, errored or been cancelled (the caller stops watching then). */
  onEnd?: () => void;
}

export interface UpgradedConnection {
  /**
   * 101, or 200 from engines that take the connection over without announcing it. Another 2xx (or a 200
   * with a delimited body) means no takeover happened; `readable` then carries just that body.
   */
  status: number;
  /** Response headers, lower-case names. */
  headers: Map<string, string>;
  /** Bytes from the engine after the response head, beginning with any that arrived along with it. */
  readable: ReadableStream<Uint8Array>;
  /**
   * Bytes to the process's stdin. This is the duplex's own writable, so writes pass through untouched
   * and close() half-closes: the engine sees EOF on stdin while `readable` keeps flowing.
   */
  writable: WritableStream<Uint8Array>;
  /** Closes both directions and releases the connection. Safe to call more than once. */
  close(): void;
}

const DEFAULT_MAX_HEAD = 64 * 1024;
const encoder = new TextEncoder();

/**
 * Sends `request` on `duplex` asking to take the connection over, and resolves once the engine has
 * answered. On an error status the duplex is closed and the matching DockerHttpError is thrown; on any
 * other failure the duplex is closed as well. Errors:
 * - DockerConfigError: a header name or value, the method, the path or the host breaks the wire
 *   module's rule (src/transport/http/wire.ts; nothing is sent);
 * - DockerHttpError and subclasses: the engine answered 3xx or above;
 * - DockerStreamError: the reply is not HTTP/1.x, or its head exceeds maxHeadBytes, or is malformed;
 * - DockerConnectionError: the connection failed or ended before the response head was complete
 *   (a dropped connection is a connection problem, not a protocol one);
 * - DockerAbortError: `signal` fired during the handshake. If the signal's reason is itself a
 *   DockerError (e.g. a DockerTimeoutError raised by the caller's timer) that error is thrown instead.
 */
export async function upgrade(duplex: Duplex, request: UpgradeRequest, options: UpgradeOptions = {}): Promise<UpgradedConnection> {
  const { signal } = options;
  const errorPath = options.errorPath ?? stripVersionAndQuery(request.path);
  const address = options.address ?? "the engine";
  const maxHeadBytes = options.maxHeadBytes ?? DEFAULT_MAX_HEAD;

  let bytes: Uint8Array;
  try {
    bytes = encodeRequest(request);
  } catch (err) {
    duplex.close();
    throw err;
  }

  let aborted: Promise<never> | undefined;
  let unlisten = (): void => {};
  if (signal) {
    if (signal.aborted) {
      duplex.close();
      throw abortReason(signal, `${request.method} ${errorPath}`);
    }
    aborted = new Promise<never>((_, reject) => {
      unlisten = onAbort(signal, () => reject(abortReason(signal, `${request.method} ${errorPath}`)));
    });
    aborted.catch(() => {}); // observed through race(); this only keeps the rejection from being reported as unhandled
  }
  const race = <T>(p: Promise<T>): Promise<T> => (aborted ? Promise.race([p, aborted]) : p);

  const reader = duplex.readable.getReader();
  let succeeded = false;
  try {
    // One write for head and body: a single segment on the wire, and no window where the engine has the
    // head but waits for a body we have not queued yet. The write is not awaited before reading: an
    // engine may answer (with an error) before reading a large body, and waiting would deadlock.
    const writer = duplex.writable.getWriter();
    const sent = writer.write(bytes);
    sent.catch(() => {}); // a failed send shows up on the reading side as EOF or an error
    writer.releaseLock(); // the queued write goes on; the caller gets an unlocked writable

    const { head, rest } = await readFinalHead(reader, race, maxHeadBytes, address);
    const { status, headers } = head;

    if (status >= 300) {
      const body = await readErrorBody(reader, rest, headers, status, race, signal);
      throw httpError(status, errorMessage(body, head), request.method, errorPath);
    }

    const framing = status === 101 ? ({ kind: "eof" } as BodyFraming) : bodyFraming(headers, status !== 204 && status !== 304);
    const ended = once(options.onEnd);
    const readable = framing.kind === "eof" ? rawStream(reader, rest, duplex, address, ended) : framedStream(reader, rest, framing, duplex, address, ended);

    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      // Cancelling our reader ends a pending read on `readable` even when the caller holds its lock.
      reader.cancel().catch(() => {});
      duplex.close();
    };
    succeeded = true;
    return { status, headers, readable, writable: duplex.writable, close };
  } catch (err) {
    throw toDockerError(err, address);
  } finally {
    unlisten();
    if (!succeeded) {
      reader.cancel().catch(() => {});
      duplex.close();
    }
  }
}

/** Builds the request bytes; the head is written by the wire module, which refuses anything that could smuggle lines. */
function encodeRequest(request: UpgradeRequest): Uint8Array {
  const body = typeof request.body === "string" ? encoder.encode(request.body) : request.body;
  let headers = request.headers;
  if (typeof request.body === "string" && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers = { ...headers, "Content-Type": "application/json" };
  }
  const head = latin1Bytes(requestHead({
    method: request.method,
    path: request.path,
    host: request.host ?? "docker",
    headers,
    body: body?.byteLength,
    upgrade: request.protocol ?? "tcp",
  }));
  if (body === undefined || body.byteLength === 0) return head;
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head, 0);
  out.set(body, head.byteLength);
  return out;
}

function errorMessage(body: string, head: ResponseHead): string {
  const text = body.trim();
  if (text.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      const message = (parsed as { message?: unknown } | null)?.message;
      if (typeof message === "string" && message) return message;
    } catch {
      // Not JSON after all: the text itself is the best message there is.
    }
  }
  return text || head.statusText || `HTTP ${head.status}`;
}

/**
 * The hijacked connection's incoming side. highWaterMark 0 keeps backpressure end to end: nothing is
 * read from the socket until the consumer asks for it. Chunks pass through as the adapter made them.
 */
function rawStream(reader: ReadableStreamDefaultReader<Uint8Array>, rest: Uint8Array, duplex: Duplex, address: string, ended: () => void): ReadableStream<Uint8Array> {
  let pending: Uint8Array | null = rest.byteLength > 0 ? rest : null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = null;
          return;
        }
        for (;;) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch (err) {
            ended();
            controller.error(toDockerError(err, address));
            return;
          }
          if (result.done) {
            ended();
            controller.close();
            return;
          }
          if (result.value.byteLength > 0) {
            controller.enqueue(result.value);
            return;
          }
        }
      },
      cancel(reason) {
        ended();
        pending = null;
        reader.cancel(reason).catch(() => {});
        duplex.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The body of a non-takeover 2xx answer, decoded, ending where the body ends. */
function framedStream(reader: ReadableStreamDefaultReader<Uint8Array>, rest: Uint8Array, framing: BodyFraming, duplex: Duplex, address: string, ended: () => void): ReadableStream<Uint8Array> {
  const source = new BodySource(reader, rest, framing);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const piece = await source.next();
          if (piece) return controller.enqueue(piece);
          ended();
          if (source.truncated) controller.error(new DockerStreamError("The connection closed before the end of the response body"));
          else controller.close();
        } catch (err) {
          ended();
          controller.error(toDockerError(err, address));
        }
      },
      cancel(reason) {
        ended();
        reader.cancel(reason).catch(() => {});
        duplex.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** `fn`, to be called at most once (or a no-op). */
function once(fn: (() => void) | undefined): () => void {
  if (!fn) return () => {};
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

/** `/v1.47/containers/abc/attach?stream=1` → `/containers/abc/attach`, for messages. */
function stripVersionAndQuery(path: string): string {
  const q = path.indexOf("?");
  const bare = q < 0 ? path : path.slice(0, q);
  return bare.replace(/^\/v[0-9]+\.[0-9]+(?=\/)/, "");
}
