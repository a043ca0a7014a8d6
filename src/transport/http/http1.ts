// The few pieces of HTTP/1.1 that berth speaks itself, on a raw connection: reading a response head and
// decoding a chunked body. Everything else goes through the adapter's HTTP client; these exist for the
// upgrade handshake of attach and exec, where the core owns the socket.
//
// The parser is strict on purpose. The peer is a Docker engine (or a compatible one) that always writes
// CRLF line endings and well-formed headers; anything else means we are not talking to an engine at all
// (a TLS port spoken to in clear, an SSH banner, a proxy's error page), and failing loudly beats guessing.

import { DockerStreamError } from "../../errors/errors.ts";

/** A parsed HTTP/1.x response status line and header block. */
export interface ResponseHead {
  status: number;
  /** The reason phrase as sent (`UPGRADED`, `Not Found`); may be empty. */
  statusText: string;
  /** Lower-case names. Repeated fields are joined with `, ` as RFC 9110 allows. */
  headers: Map<string, string>;
  /** Bytes taken by the head, the terminating empty line included: the body starts here. */
  headLength: number;
}

const CR = 0x0d;
const LF = 0x0a;
const HTTP_PREFIX = "HTTP/1.";
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?$/;
// RFC 9110 token characters: what a field name may be made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values may hold HTAB, visible ASCII and obs-text, never other control characters.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Index just past the first `\r\n\r\n` in `bytes`, or -1. `from` lets a caller that accumulates chunks
 * resume where the previous search stopped instead of rescanning the whole buffer.
 */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from); i + 3 < bytes.length; i++) {
    // Test the last byte first: it rules out almost every position with one comparison.
    if (bytes[i + 3] === LF && bytes[i + 2] === CR && bytes[i + 1] === LF && bytes[i] === CR) return i + 4;
  }
  return -1;
}

/**
 * Parses a response head from the start of `bytes`. Returns null while the head is incomplete (no empty
 * line yet), and throws DockerStreamError as soon as the bytes cannot be an HTTP/1.x response, so that
 * a peer speaking another protocol is detected without waiting for a terminator that may never come.
 * `searchFrom` is passed to findHeadEnd: callers that append chunks can skip what they already searched.
 */
export function parseResponseHead(bytes: Uint8Array, searchFrom = 0): ResponseHead | null {
  const end = findHeadEnd(bytes, searchFrom);
  if (end < 0) {
    assertHttpPrefix(bytes);
    return null;
  }
  const text = latin1(bytes, 0, end - 4);
  const lines = text.split("\r\n");
  const statusLine = lines[0];
  const match = STATUS_LINE.exec(statusLine);
  if (!match) throw new DockerStreamError(`Malformed HTTP status line from the engine: ${quote(statusLine)}`);

  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    // A bare LF inside the head would have hidden a line break from the split above.
    if (line.includes("\n") || line.includes("\r")) throw new DockerStreamError(`Malformed HTTP header line from the engine: ${quote(line)}`);
    if (line.startsWith(" ") || line.startsWith("\t")) {
      // Obsolete line folding: RFC 9112 lets a client reject it, and no engine sends it.
      throw new DockerStreamError(`Folded HTTP header line from the engine: ${quote(line)}`);
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) throw new DockerStreamError(`Malformed HTTP header line from the engine: ${quote(line)}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!FIELD_VALUE.test(value)) throw new DockerStreamError(`Malformed HTTP header value from the engine for ${name}`);
    const key = name.toLowerCase();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
  return { status: Number(match[1]), statusText: match[2] ?? "", headers, headLength: end };
}

function assertHttpPrefix(bytes: Uint8Array): void {
  const n = Math.min(bytes.length, HTTP_PREFIX.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== HTTP_PREFIX.charCodeAt(i)) {
      throw new DockerStreamError(`The engine did not answer with HTTP/1.x: the reply starts with ${quote(latin1(bytes, 0, Math.min(bytes.length, 40)))}`);
    }
  }
}

/** How the body of a response is delimited (RFC 9112 §6.3, response side). */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "eof" };

/**
 * Decides how a response body ends. `hasBody` is false for answers that never carry one (1xx, 204, 304,
 * and responses to HEAD); the caller knows the request method, so it decides that part.
 */
export function bodyFraming(headers: Map<string, string>, hasBody = true): BodyFraming {
  if (!hasBody) return { kind: "none" };
  const te = headers.get("transfer-encoding");
  if (te !== undefined) {
    // Transfer-Encoding wins over Content-Length; only a final `chunked` delimits the body.
    const codings = te.split(",").map((c) => c.trim().toLowerCase());
    return codings[codings.length - 1] === "chunked" ? { kind: "chunked" } : { kind: "eof" };
  }
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    // Repeated identical values (`5, 5`) are legal; differing ones are a framing attack or a bug.
    const values = new Set(cl.split(",").map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^[0-9]{1,15}$/.test(only)) throw new DockerStreamError(`Malformed Content-Length from the engine: ${quote(cl)}`);
    return { kind: "length", length: Number(only) };
  }
  return { kind: "eof" };
}

// Plain constants rather than an enum: type-stripping loaders (Node, Deno) refuse enums.
const SIZE = 0, DATA = 1, DATA_END = 2, TRAILER = 3, DONE = 4;
const MAX_CHUNK_LINE = 4096;
/** Trailer fields are header lines: together they get the response head's limit. */
const MAX_TRAILER = 64 * 1024;

/**
 * Incremental decoder of `Transfer-Encoding: chunked`. Feed it raw bytes as they arrive; it hands back
 * the payload as views into the bytes it was given (no copies) and notices the terminating chunk, so a
 * caller on a kept-alive connection knows when to stop reading.
 */
export class ChunkedDecoder {
  #state: number = SIZE;
  #line = "";
  #lineHasCR = false;
  #remaining = 0;
  #trailerBytes = 0;

  /** True once the last chunk and the trailer section have been read. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /**
   * Decodes `bytes` and returns the payload pieces found in them. Bytes after the end of the body are
   * ignored. Throws DockerStreamError on malformed framing.
   */
  push(bytes: Uint8Array): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    this.#decode(bytes, (start, end) => void pieces.push(bytes.subarray(start, end)));
    return pieces;
  }

  /**
   * Like `push`, but moves the payload to the front of `bytes` (overwriting the framing, so `bytes`
   * must be the caller's own) and returns it as one view: a read holding a hundred chunks, a
   * followed log's hundred lines, is then one piece, made without allocating.
   */
  pushInPlace(bytes: Uint8Array): Uint8Array {
    let written = 0;
    this.#decode(bytes, (start, end) => {
      if (start !== written) bytes.copyWithin(written, start, end);
      written += end - start;
    });
    return bytes.subarray(0, written);
  }

  #decode(bytes: Uint8Array, payload: (start: number, end: number) => void): void {
    let i = 0;
    const length = bytes.length;
    while (i < length && this.#state !== DONE) {
      if (this.#state === DATA) {
        const take = Math.min(this.#remaining, length - i);
        payload(i, i + take);
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = DATA_END;
        continue;
      }
      // The usual lines whole in `bytes`, read without building strings: the CRLF after a chunk's
      // data, and a size of hex digits alone. Anything else (extensions, a line split between
      // reads, malformed framing) takes the general path below.
      if (this.#line.length === 0 && !this.#lineHasCR) {
        if (this.#state === DATA_END && bytes[i] === CR && bytes[i + 1] === LF) {
          this.#state = SIZE;
          i += 2;
          continue;
        }
        if (this.#state === SIZE) {
          let size = 0;
          let j = i;
          for (; j < length && j - i < 12; j++) {
            const digit = hexDigit(bytes[j]!);
            if (digit < 0) break;
            size = size * 16 + digit;
          }
          if (j > i && bytes[j] === CR && bytes[j + 1] === LF) {
            this.#remaining = size;
            this.#state = size === 0 ? TRAILER : DATA;
            i = j + 2;
            continue;
          }
        }
      }
      // Size, DataEnd and Trailer all consume CRLF-terminated lines.
      const b = bytes[i++];
      if (b === LF) {
        if (!this.#lineHasCR) throw new DockerStreamError("Malformed chunked body from the engine: bare LF");
        const line = this.#line;
        this.#line = "";
        this.#lineHasCR = false;
        this.#endLine(line);
        continue;
      }
      if (this.#lineHasCR) throw new DockerStreamError("Malformed chunked body from the engine: bare CR");
      if (b === CR) {
        this.#lineHasCR = true;
        continue;
      }
      if (this.#line.length >= MAX_CHUNK_LINE) throw new DockerStreamError("Malformed chunked body from the engine: line too long");
      this.#line += String.fromCharCode(b!);
    }
  }

  #endLine(line: string): void {
    switch (this.#state) {
      case SIZE: {
        // Chunk extensions (`;name=value`) carry nothing berth needs.
        const semi = line.indexOf(";");
        const size = (semi < 0 ? line : line.slice(0, semi)).replace(/[ \t]+$/, "");
        if (!/^[0-9A-Fa-f]{1,12}$/.test(size)) throw new DockerStreamError(`Malformed chunk size from the engine: ${quote(line)}`);
        this.#remaining = parseInt(size, 16);
        this.#state = this.#remaining === 0 ? TRAILER : DATA;
        return;
      }
      case DATA_END:
        if (line !== "") throw new DockerStreamError("Malformed chunked body from the engine: chunk longer than its size");
        this.#state = SIZE;
        return;
      case TRAILER:
        // Trailer fields are skipped; the empty line ends the body. An engine that sends them
        // without end would otherwise keep the call (and the connection) forever.
        if (line === "") this.#state = DONE;
        else if ((this.#trailerBytes += line.length + 2) > MAX_TRAILER) {
          throw new DockerStreamError(`Malformed chunked body from the engine: trailer section larger than ${MAX_TRAILER} bytes`);
        }
        return;
    }
  }
}

/** The value of a hex digit's byte, or -1. */
function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  // Header bytes are octets, not UTF-8 (RFC 9110 §5.5); TextDecoder("latin1") would be windows-1252.
  let s = "";
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

function quote(s: string): string {
  const shown = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return JSON.stringify(shown);
}
