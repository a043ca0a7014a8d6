// One HTTP/1.1 request on a raw connection of its own, answered as a TransportResponse: for
// runtimes whose own HTTP client reads a long or large body expensively. Deno's fetch hands a
// followed log over one HTTP chunk (one line) at a time, at about four times the CPU per byte
// of reading the socket; its transport sends the streamed calls (logs, events, stats, pull and
// build progress) through here instead, over its raw connections.
//
// The connection carries this one exchange and is closed when the body ends, fails or is
// cancelled: a stream holds its connection for as long as it runs anyway.

import type { Duplex, TransportRequest, TransportResponse } from "../transport.ts";
import { DockerStreamError } from "../../errors/errors.ts";
import { concatBytes } from "../../streams/bytes.ts";
import { bodyFraming } from "./http1.ts";
import { abortRace, BodySource, bodyPieces, pulledBody, readFinalHead, toDockerError } from "./response.ts";
import { latin1Bytes, requestHead } from "./wire.ts";

export interface ExchangeOptions {
  /** Where the duplex leads, for messages (the transport's address). */
  address: string;
  /** Host header value; default `docker` (the engine ignores it on a unix socket). */
  host?: string;
  /**
   * Called when a body delimited by the connection's end has ended, which is also all a killed
   * engine leaves; resolves with the error to raise instead, if the engine is gone.
   */
  confirmEnd?: () => Promise<Error | undefined>;
}

const MAX_HEAD = 64 * 1024;
const encoder = new TextEncoder();

/**
 * Sends `req` on `duplex` and resolves once the response head has arrived, whatever its status
 * (the core turns error statuses into errors). Fails with DockerConfigError for a request the
 * wire module refuses (nothing sent), DockerConnectionError when the connection fails or ends
 * early, DockerStreamError for an answer that is not HTTP/1.x, and an AbortError when
 * `req.signal` aborts, before or after the head. The duplex is closed on every failure.
 */
export async function exchange(duplex: Duplex, req: TransportRequest, options: ExchangeOptions): Promise<TransportResponse> {
  const { address } = options;
  const body = req.body ?? undefined;
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  let head: Uint8Array;
  try {
    head = latin1Bytes(requestHead({
      method: req.method,
      path: req.path,
      host: options.host ?? "docker",
      headers: req.headers,
      body: bytes === undefined ? undefined : bytes instanceof Uint8Array ? bytes.byteLength : bytes instanceof Blob ? bytes.size : "chunked",
    }));
  } catch (err) {
    duplex.close();
    throw err;
  }

  let closed = false;
  let unlisten = (): void => {};
  const close = (): void => {
    if (closed) return;
    closed = true;
    unlisten();
    duplex.close();
  };
  // Watched from here to the body's end: an abort fails what is pending and drops the connection.
  const watch = abortRace(req.signal, close);
  const race = watch.race;
  unlisten = watch.unlisten;

  const reader = duplex.readable.getReader();
  try {
    // Not awaited before reading: an engine may answer (with an error) before reading a large
    // body, and waiting for the write would deadlock. A failed send shows up on the reading side.
    void send(duplex.writable, head, bytes).catch(() => {});
    const { head: answer, rest } = await readFinalHead(reader, race, MAX_HEAD, address);
    if (answer.status === 101) throw new DockerStreamError(`The engine switched protocols on ${req.method} ${req.path}, which was not asked for`);
    const { status, headers } = answer;
    const framing = bodyFraming(headers, req.method !== "HEAD" && status !== 204 && status !== 304);
    const source = new BodySource(reader, rest, framing);
    const confirmEnd = framing.kind === "eof" ? options.confirmEnd : undefined;

    /** The next piece of the body, null at its end; the connection is closed at the end or a failure. */
    const next = bodyPieces(source, race, address, confirmEnd, close);

    let stream: ReadableStream<Uint8Array> | null | undefined;
    return {
      status,
      headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
      get body() {
        if (stream !== undefined) return stream;
        if (framing.kind === "none") {
          close();
          return (stream = null);
        }
        return (stream = pulledBody(next, close));
      },
      async text() {
        const decoder = new TextDecoder();
        let text = "";
        for (let piece = await next(); piece; piece = await next()) text += decoder.decode(piece, { stream: true });
        return text + decoder.decode();
      },
    };
  } catch (err) {
    close();
    throw (err as Error)?.name === "AbortError" ? err : toDockerError(err, address);
  }
}

/** Writes the head and the body: bytes in the same write, a stream chunked, a Blob as it is. */
async function send(writable: WritableStream<Uint8Array>, head: Uint8Array, body: Uint8Array | ReadableStream<Uint8Array> | Blob | undefined): Promise<void> {
  const writer = writable.getWriter();
  try {
    if (body === undefined || body instanceof Uint8Array) {
      return await writer.write(body?.byteLength ? concatBytes([head, body]) : head);
    }
    await writer.write(head);
    // A Blob's size went out as Content-Length; a stream's length is unknown, so it goes chunked.
    const chunked = !(body instanceof Blob);
    const reader = (body instanceof Blob ? body.stream() : body).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value.byteLength === 0) continue;
        if (!chunked) {
          await writer.write(value);
          continue;
        }
        const size = latin1Bytes(`${value.byteLength.toString(16)}\r\n`);
        const framed = new Uint8Array(size.byteLength + value.byteLength + 2);
        framed.set(size, 0);
        framed.set(value, size.byteLength);
        framed.set([0x0d, 0x0a], size.byteLength + value.byteLength);
        await writer.write(framed);
      }
      if (chunked) await writer.write(latin1Bytes("0\r\n\r\n"));
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      throw err;
    }
  } finally {
    writer.releaseLock();
  }
}
