// Turning a call's path template, parameters and query into the exact bytes of a request line.
// Everything the caller supplies is encoded here, once, so no value can reach another endpoint.

import { DockerConfigError, httpError } from "../errors/errors.ts";
import type { RequestBody } from "../transport/transport.ts";

/**
 * encodeURIComponent, with a typed error for text that is not valid Unicode (a lone surrogate,
 * which has no UTF-8 form): it raises URIError otherwise. `what` names the value; it is not quoted.
 */
function encode(text: string, what: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    throw new DockerConfigError(`${what} is not valid Unicode text (it holds a lone UTF-16 surrogate): expected a well-formed string`);
  }
}

/**
 * Encodes one path parameter so it stays exactly one path segment. Returns undefined for `.` and
 * `..`: URL parsers resolve such segments away even when percent-encoded (`%2E%2E` is a dot
 * segment to WHATWG URL), so no encoding can carry them; no engine object has such a name.
 */
export function encodePathParam(value: string, name = "A path parameter"): string | undefined {
  if (value === "." || value === "..") return undefined;
  return encode(value, name);
}

/**
 * Fills `{name}` placeholders of a spec path template with encoded values. A value that cannot
 * name an object (`.`, `..`) fails as not found, without a request.
 */
export function fillPath(template: string, params: Record<string, unknown> | undefined, method = "GET"): string {
  if (!template.includes("{")) return template;
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null || value === "") {
      throw new DockerConfigError(`Missing path parameter "${name}" for ${template}: expected a non-empty id or name`);
    }
    const encoded = encodePathParam(String(value), `The path parameter "${name}" of ${template}`);
    if (encoded === undefined) throw httpError(404, `no such object: ${JSON.stringify(value)}`, method, template);
    return encoded;
  });
}

/**
 * Serialises query parameters the way the engine reads them:
 * - undefined and null are omitted;
 * - booleans become `1`/`0` (the engine's boolean parsing accepts both forms);
 * - `filters` (an object) becomes the JSON map of string arrays the engine expects;
 * - other objects become JSON (buildargs, labels), arrays repeat the key.
 */
export function serializeQuery(query: Record<string, unknown> | undefined): string {
  if (!query) return "";
  let out = "";
  for (const key in query) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    if (key === "filters" && typeof value === "object") {
      const json = serializeFilters(value as Record<string, unknown>);
      if (json !== undefined) out += `&filters=${encode(json, 'The query parameter "filters"')}`;
      continue;
    }
    if (Array.isArray(value)) {
      for (const item of value) out += `&${encode(key, "A query parameter name")}=${encode(scalar(item), `The query parameter "${key}"`)}`;
      continue;
    }
    const text = typeof value === "object" && !(value instanceof Date) ? JSON.stringify(value) : scalar(value);
    out += `&${encode(key, "A query parameter name")}=${encode(text, `The query parameter "${key}"`)}`;
  }
  return out === "" ? "" : `?${out.slice(1)}`;
}

function scalar(value: unknown): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (value instanceof Date) return engineTime(value);
  return String(value);
}

/**
 * A Date as the engine's `seconds.nanoseconds` (since/until of logs and events): whole seconds
 * would move `since` back by up to 999 ms and `until` forward, returning lines outside the range.
 */
function engineTime(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new DockerConfigError("A query parameter is an invalid Date: expected a valid Date, unix seconds or an RFC 3339 string");
  const seconds = Math.floor(ms / 1000);
  return `${seconds}.${String(ms - seconds * 1000).padStart(3, "0")}000000`;
}

/**
 * `{ label: "a=b", dangling: true }` → `{"label":["a=b"],"dangling":["true"]}`. Values may be a
 * scalar, an array, or the engine's older map form `{ "a=b": true }`, which is passed as is.
 * Empty filters are omitted entirely.
 */
export function serializeFilters(filters: Record<string, unknown>): string | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const key in filters) {
    const value = filters[key];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      out[key] = value.map((v) => String(v));
    } else if (typeof value === "object") {
      out[key] = value;
    } else {
      out[key] = [String(value)];
    }
    any = true;
  }
  return any ? JSON.stringify(out) : undefined;
}

/**
 * A call's body as sent, its content type set in `headers`: text, bytes, a stream or a Blob as they
 * are (typed `contentType`, unless the headers say, else octet-stream); anything else as JSON.
 */
export function encodeBody(body: unknown, contentType: string | undefined, headers: Record<string, string>): RequestBody | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream || (typeof Blob !== "undefined" && body instanceof Blob)) {
    headers["content-type"] ??= contentType ?? "application/octet-stream";
    return body as RequestBody;
  }
  headers["content-type"] = "application/json";
  return JSON.stringify(body);
}
