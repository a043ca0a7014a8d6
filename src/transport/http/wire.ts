// Writing an HTTP/1.1 request head: the one place where berth turns a method, a path and headers into
// the bytes a connection carries. The Node pool (adapters/node-http1.ts) and the upgrade handshake of
// attach and exec (upgrade.ts) both write through here, so one rule decides what may reach the wire.
//
// The rule, checked on exactly what is written:
// - the method and every header name are RFC 9110 tokens;
// - the path is visible ASCII starting with `/` (berth percent-encodes everything else);
// - a header value (Host included) holds HTAB, visible ASCII and obs-text (0x80-0xff) only.
//
// The encoding is decided once: the head is a string of code points <= 0xff, and each one is written
// as the byte of the same value (Latin-1). A JS string holding any character above 0xff is refused,
// never truncated: writing its low byte is how `\u010D\u010A` became CR LF and `\u0120` a space,
// which let one header value put a second request on a pooled connection. UTF-8 would have been
// safe too (no byte of a multi-byte sequence is below 0x80), but it would send other bytes than the
// string's code points in the rare header that carries obs-text (a value read from a Latin-1 source
// stays what it was); and Docker's own headers (base64 credentials, JSON of ASCII) never need it.
//
// Framing is ours as well: Content-Length comes from the real body, Transfer-Encoding: chunked from
// a stream body; a caller's Content-Length, Transfer-Encoding or Connection header is dropped, so a
// declared length can never disagree with the bytes that follow.

import { DockerConfigError } from "../../errors/errors.ts";

/** RFC 9110 token: what methods and header names are made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, starting with `/`. */
const PATH = /^\/[\x21-\x7e]*$/;
/** HTAB, visible ASCII and obs-text, as code points <= 0xff (written one byte each). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Header fields whose values the wire writes itself (lower case). */
const FRAMING = new Set(["host", "connection", "content-length", "transfer-encoding", "upgrade", "keep-alive", "te", "trailer"]);

export interface RequestHeadInit {
  method: string;
  /** Request target: path and query, already percent-encoded. */
  path: string;
  /** Host header value unless `headers` names one. */
  host: string;
  /** A list value is sent as one header line per item (`X-Docker-Expose-Session-Grpc-Method`). */
  headers?: Record<string, string | readonly string[] | undefined | null>;
  /**
   * How the body is framed: its exact byte length, `"chunked"` for a stream of unknown length, or
   * undefined for no body (a POST, PUT or PATCH without a body then says `Content-Length: 0`, unless
   * it asks for an upgrade).
   */
  body?: number | "chunked";
  /** Asks to take the connection over (`Connection: Upgrade`, `Upgrade: <protocol>`). */
  upgrade?: string;
}

const NEEDS_LENGTH = new Set(["POST", "PUT", "PATCH"]);

/**
 * The request line and header block, terminated by the empty line, as a string whose every code
 * point is <= 0xff: write it as Latin-1 (`latin1Bytes`, or Node's `"latin1"` encoding).
 * Throws DockerConfigError, before anything is sent, for a method, path, header name or value
 * the rule above refuses. Messages name the header, never its value (it may be a credential).
 */
export function requestHead(init: RequestHeadInit): string {
  const { method, path, headers } = init;
  if (!TOKEN.test(method)) throw new DockerConfigError(`Invalid HTTP method ${JSON.stringify(method)}: a method is an HTTP token (letters, digits and !#$%&'*+-.^_\`|~)`);
  if (!PATH.test(path)) {
    throw new DockerConfigError(`Invalid request path ${JSON.stringify(path)}: it must start with / and hold visible ASCII only (percent-encode the rest)`);
  }
  let host = init.host;
  let lines = "";
  if (headers) {
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || value === null) continue;
      if (!TOKEN.test(name)) throw invalidName(name);
      const lower = name.toLowerCase();
      // (No list made for the usual single value: this runs for every header of every request.)
      const items = typeof value === "string" ? null : Array.isArray(value) ? value : [String(value)];
      for (let i = 0, n = items === null ? 1 : items.length; i < n; i++) {
        const v = items === null ? (value as string) : String(items[i]);
        if (!FIELD_VALUE.test(v)) throw invalidValue(name);
        if (FRAMING.has(lower)) {
          if (lower === "host") host = v;
          continue;
        }
        lines += `${name}: ${v}\r\n`;
      }
    }
  }
  if (!FIELD_VALUE.test(host)) throw invalidValue("Host");
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  if (init.upgrade !== undefined) {
    if (!TOKEN.test(init.upgrade)) throw new DockerConfigError(`Invalid upgrade protocol ${JSON.stringify(init.upgrade)}: it is an HTTP token`);
    head += `Connection: Upgrade\r\nUpgrade: ${init.upgrade}\r\n`;
  }
  head += lines;
  const body = init.body;
  if (body === "chunked") head += "Transfer-Encoding: chunked\r\n";
  else if (body !== undefined) head += `Content-Length: ${body}\r\n`;
  // Some proxies answer 411 to a body-less POST without a length; an upgrade has no body to delimit.
  else if (init.upgrade === undefined && NEEDS_LENGTH.has(method)) head += "Content-Length: 0\r\n";
  return head + "\r\n";
}

/**
 * Checks header names and values by the rule above without writing anything: the core calls it for
 * every request, so transports that hand headers to a platform HTTP client (fetch) refuse exactly
 * what this module refuses, with the same DockerConfigError, before anything is sent.
 */
export function checkHeaders(headers: Record<string, string | readonly string[] | undefined | null>): void {
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || value === null) continue;
    if (!TOKEN.test(name)) throw invalidName(name);
    if (typeof value === "string") {
      if (!FIELD_VALUE.test(value)) throw invalidValue(name);
    } else if (Array.isArray(value)) {
      for (const item of value) if (!FIELD_VALUE.test(String(item))) throw invalidValue(name);
    } else if (!FIELD_VALUE.test(String(value))) throw invalidValue(name);
  }
}

function invalidName(name: string): DockerConfigError {
  return new DockerConfigError(`Invalid HTTP header name ${JSON.stringify(name)}: header names are HTTP tokens (letters, digits and !#$%&'*+-.^_\`|~)`);
}

/** Names the header, never its value (it may be a credential). */
function invalidValue(name: string): DockerConfigError {
  return new DockerConfigError(
    `Invalid value for HTTP header ${JSON.stringify(name)}: a header value holds tabs, visible ASCII and bytes 0x80-0xff only ` +
      "(no control characters, no characters above \\u00ff: encode such text, e.g. as base64, first)",
  );
}

/** The bytes of a string of code points <= 0xff (a request head), one byte each. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
