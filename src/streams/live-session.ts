// A live two-way connection to a process: attach, or exec with stdin. The same API whether it
// runs over a hijacked HTTP connection (Node, Bun, Deno) or the engine's WebSocket (browsers).

import { DockerConnectionError, DockerError } from "../errors/errors.ts";
import { encodeUtf8 } from "./bytes.ts";
import type { Frame } from "./demux.ts";
import { OutputStream } from "./output.ts";
import type { WebSocketLike } from "../transport/transport.ts";

export interface SessionParts {
  readable: ReadableStream<Uint8Array>;
  /** Absent when stdin was not attached. */
  writable?: WritableStream<Uint8Array>;
  close(): void;
  multiplexed: boolean;
  resize?: (size: { h: number; w: number }) => Promise<void>;
}

/**
 * `output` carries what the process writes (demuxed unless it has a TTY); `stdin` and `write()`
 * carry exactly the bytes given, nothing else. `closeStdin()` half-closes: the process sees EOF and
 * its remaining output is still read.
 */
export class Session implements AsyncIterable<Frame> {
  readonly output: OutputStream;
  /** The process's stdin (when attached). Prefer `write()`/`closeStdin()` unless piping. */
  readonly stdin: WritableStream<Uint8Array> | undefined;
  readonly #close: () => void;
  readonly #resize: SessionParts["resize"];
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;

  constructor(parts: SessionParts) {
    this.output = OutputStream.ofBody(parts.readable, parts.multiplexed);
    this.stdin = parts.writable;
    this.#close = parts.close;
    this.#resize = parts.resize;
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    // Through the OutputStream, so that output.cancel() reaches a loop over the session too.
    return this.output[Symbol.asyncIterator]();
  }

  /** Writes to the process's stdin (strings as UTF-8). */
  async write(data: string | Uint8Array): Promise<void> {
    await this.#stdinWriter().write(typeof data === "string" ? encodeUtf8(data) : data);
  }

  /** Closes stdin only: the process reads EOF; output keeps flowing until it ends. */
  async closeStdin(): Promise<void> {
    await this.#stdinWriter().close();
  }

  #stdinWriter(): WritableStreamDefaultWriter<Uint8Array> {
    if (!this.stdin) throw new DockerError("stdin is not attached: open the session with { stdin: true }");
    return (this.#writer ??= this.stdin.getWriter());
  }

  /** Resizes the TTY (only meaningful with `tty: true`). */
  async resize(size: { h: number; w: number }): Promise<void> {
    if (!this.#resize) throw new DockerError("This session cannot be resized");
    await this.#resize(size);
  }

  /** Closes the connection in both directions. */
  close(): void {
    this.#close();
  }
}

/**
 * Wraps a WebSocket (the engine's `/attach/ws`) as the parts of a Session. The engine sends
 * stdout and stderr unframed over it, so output is delivered as stdout. Closing stdin cannot be
 * expressed on a WebSocket without closing it whole; `closeStdin()` therefore closes the socket.
 */
export function webSocketParts(ws: WebSocketLike, address: string): Promise<SessionParts> {
  ws.binaryType = "arraybuffer";
  return new Promise<SessionParts>((resolve, reject) => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let finished = false;
    const readable = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
      cancel() {
        finished = true;
        ws.close();
      },
    });
    ws.addEventListener("message", (event: { data: ArrayBuffer | string }) => {
      if (finished) return;
      controller.enqueue(typeof event.data === "string" ? encodeUtf8(event.data) : new Uint8Array(event.data));
    });
    ws.addEventListener("close", () => {
      if (finished) return;
      finished = true;
      controller.close();
    });
    let opened = false;
    ws.addEventListener("error", () => {
      const err = new DockerConnectionError(address, undefined, "the WebSocket connection failed");
      if (!opened) return reject(err);
      if (finished) return;
      finished = true;
      controller.error(err);
    });
    ws.addEventListener("open", () => {
      opened = true;
      const writable = new WritableStream<Uint8Array>({
        write(chunk) {
          ws.send(chunk);
        },
        close() {
          ws.close();
        },
        abort() {
          ws.close();
        },
      });
      resolve({ readable, writable, multiplexed: false, close: () => ws.close() });
    });
  });
}
