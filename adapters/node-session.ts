// The build session host on node:http2, node:net and node:fs (Node; Bun and Deno load it too, as
// their node:http2 serves a given socket: see docs/builds.md, "Build sessions"). Loaded on the first
// session only (session-host.ts), so no entry pays for node:http2 at start-up. The hijacked
// connection from the core is a pair of WHATWG streams; node:http2 wants a stream.Duplex, so the two
// are bridged with a small stream.Duplex
// (bridge below) and http2 wraps that as it wraps any non-socket stream.

import type http2 from "node:http2";
import { readFile } from "node:fs/promises";
import { Duplex as NodeDuplex } from "node:stream";
import type { Duplex } from "../src/transport/transport.ts";
import type { Http2Served, Http2ServerStream } from "../src/buildkit/session/host.ts";

export async function readLocalFile(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

/** How long calls may go on after the engine's EOF (they cannot get another byte). */
const EOF_GRACE = 2_000;

export async function serveHttp2(connection: Duplex, onStream: (stream: Http2ServerStream) => void): Promise<Http2Served> {
  // Imported here, not at the top: bundlers follow session-host.ts's import of this file into
  // every entry, and the Bun entry keeps Node's networking modules out of its graph.
  const http2 = await import("node:http2");
  // The engine's EOF ends the session once the calls it made have ended. node:http2 alone would
  // not notice: after a protocol error it sends GOAWAY and stops reading, so the end of the input
  // never reaches it. A call still open EOF_GRACE after the EOF is waiting for bytes that cannot come.
  let open = 0;
  let eof = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const socket = bridge(connection, () => {
    eof = true;
    setTimeout(() => open === 0 && finish(), 0); // what was read before the EOF is handled first
    graceTimer = setTimeout(() => finish(), EOF_GRACE);
  });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => finish());
    session.on("error", () => finish());
  });
  // rawHeaders: Node's types leave the fourth argument out, and Node, Bun and Deno all pass it.
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders?: string[]) => {
    open++;
    stream.once("close", () => {
      open--;
      if (eof && open === 0) finish();
    });
    onStream(serverStream(stream, headers, rawHeaders));
  });
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(graceTimer);
    for (const session of sessions) session.destroy();
    socket.destroy();
    connection.close();
    server.close();
    resolveClosed();
  };
  socket.on("error", () => finish());
  socket.once("close", () => finish());
  server.emit("connection", socket);
  return { closed, close: finish };
}

function serverStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[] | undefined): Http2ServerStream {
  const controller = new AbortController();
  stream.once("close", () => controller.abort(new Error("stream closed")));
  stream.on("error", () => controller.abort(new Error("stream reset")));
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return {
    path: String(headers[":path"] ?? ""),
    headers: flat,
    // The raw list keeps each field apart: `headers` joins repeated ones with ", ".
    headerValues: rawHeaders
      ? (name) => {
          const out: string[] = [];
          for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!);
          return out;
        }
      : undefined,
    readable: requestBody(stream),
    // Both are no-ops once the engine has reset the stream (node:http2 would throw): the call's
    // signal has aborted by then, and nothing is left to tell the engine.
    respond(h) {
      if (!stream.destroyed && !stream.headersSent) stream.respond(h, { waitForTrailers: true });
    },
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed) return reject(new Error("stream closed"));
        stream.write(bytes, (err) => (err ? reject(err) : resolve()));
      }),
    end(trailers) {
      if (stream.destroyed || !stream.headersSent) return;
      stream.once("wantTrailers", () => {
        if (!stream.destroyed) stream.sendTrailers(trailers);
      });
      stream.end();
    },
    signal: controller.signal,
  };
}

/**
 * The upgraded connection as a stream.Duplex for http2. Not Duplex.fromWeb: on Node 20 its destroy
 * can throw from inside the adapter (an uncaught TypeError) when both halves close at once, which
 * is how every session ends.
 */
function bridge(connection: Duplex, onEof: () => void): NodeDuplex {
  const reader = connection.readable.getReader();
  const writer = connection.writable.getWriter();
  return new NodeDuplex({
    // The engine's EOF ends the session (see serveHttp2): it never half-closes one to go on reading.
    allowHalfOpen: false,
    read() {
      reader.read().then(
        ({ done, value }) => {
          if (done) onEof();
          this.push(done ? null : value);
        },
        (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      writer.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)).then(() => callback(), callback);
    },
    final(callback) {
      writer.close().then(() => callback(), () => callback());
    },
    destroy(err, callback) {
      reader.cancel().catch(() => {});
      writer.abort().catch(() => {});
      connection.close();
      callback(err);
    },
  });
}

/**
 * The request half of a stream. Not Readable.toWeb: on a Duplex it waits for the writable side to
 * finish too, and a gRPC request ends (END_STREAM) long before its response does.
 */
function requestBody(stream: http2.ServerHttp2Stream): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stream.on("data", (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) stream.pause();
      });
      stream.once("end", () => controller.close());
      stream.once("close", () => {
        try {
          controller.error(new Error("stream closed"));
        } catch {
          // already closed after its end
        }
      });
      stream.pause();
    },
    pull() {
      stream.resume();
    },
    cancel() {
      stream.pause();
    },
  }, { highWaterMark: 4 });
}

export async function connectUnix(path: string): Promise<Duplex> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path, allowHalfOpen: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      const { readable, writable } = NodeDuplex.toWeb(socket);
      resolve({ readable: readable as ReadableStream<Uint8Array>, writable: writable as WritableStream<Uint8Array>, close: () => socket.destroy() });
    });
  });
}
