// The engine handle of berth-docker/lite: an address and fetch options, and the one request
// function every lite call goes through. No classes to carry: a page that calls only
// listContainers() bundles that function, this file and the error classes it can throw.
//
// Requests go to unversioned paths unless `version` is given: the engine then answers in its own
// current API version (a page cannot read the Api-Version header to negotiate, and a round trip
// to /version before the first call would cost more than a list).

import { redactAddress } from "../config/redact.ts";
import { DockerAbortError, DockerConfigError, DockerConnectionError, DockerTimeoutError, httpError } from "../errors/errors.ts";
import { serializeQuery } from "../request/encode.ts";

export interface LiteOptions {
  /** The engine's URL, e.g. `http://127.0.0.1:2375` or a path behind a proxy, `https://example.com/docker`. */
  url: string;
  /** Pins the API version (e.g. `"1.41"`): requests go to `/v1.41/...`. Default: the engine's own. */
  version?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Extra fetch options for every request, e.g. `{ credentials: "include" }`. */
  init?: RequestInit;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Milliseconds until a request (answer included) is given up with DockerTimeoutError. Default 60 s; 0 disables. */
  timeout?: number;
}

/** What `connect()` returns: pass it to every lite function. Plain data; nothing is opened. */
export interface Engine {
  readonly url: string;
  readonly prefix: string;
  readonly fetch: typeof fetch;
  readonly init: RequestInit | undefined;
  readonly headers: Record<string, string>;
  readonly timeout: number;
}

/** Options every lite call accepts. */
export interface LiteCallOptions {
  signal?: AbortSignal;
  /** Overrides the engine's `timeout` for this call. */
  timeout?: number;
}

/** Checks the options and returns the engine handle. Sends nothing. */
export function connect(options: LiteOptions): Engine {
  const { url, version, fetch: f, init, headers = {}, timeout = 60_000 } = options ?? ({} as LiteOptions);
  if (typeof url !== "string" || !/^https?:\/\/[^/@]+(\/|$)/i.test(url)) {
    throw new DockerConfigError(
      `url=${typeof url === "string" ? `"${redactAddress(url)}"` : String(url)} is not an engine URL: expected http:// or https:// without credentials, e.g. http://127.0.0.1:2375`,
    );
  }
  if (version !== undefined && !/^v?\d+\.\d+$/.test(version)) throw new DockerConfigError(`Invalid API version "${version}": expected a version like "1.41"`);
  if (!(timeout >= 0)) throw new DockerConfigError(`Invalid timeout ${String(timeout)}: expected milliseconds (0 for none)`);
  return {
    url: url.replace(/\/+$/, ""),
    prefix: version === undefined ? "" : `/v${version.replace(/^v/, "")}`,
    fetch: f ?? ((input, i) => globalThis.fetch(input, i)),
    init,
    headers,
    timeout,
  };
}

/**
 * One request: `path` already encoded, `query` serialised as the full client does. Resolves with
 * the parsed JSON (or text, or undefined for an empty body); an error status is the DockerHttpError
 * of that status (DockerNotFoundError for 404, ...), a failed fetch a DockerConnectionError.
 */
export async function request<T>(engine: Engine, method: string, path: string, query?: Record<string, unknown>, options: LiteCallOptions = {}): Promise<T> {
  const timeout = options.timeout ?? engine.timeout;
  const controller = new AbortController();
  const abort = () => controller.abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  if (options.signal?.aborted) abort();
  const timer = timeout > 0 ? setTimeout(abort, timeout) : undefined;
  const qs = serializeQuery(query);
  const init: RequestInit = {
    ...engine.init,
    method,
    headers: { ...engine.headers },
    signal: controller.signal,
    // The engine redirects only paths it cleaned, i.e. a name that would reach another endpoint.
    redirect: "manual",
  };
  try {
    let response: Response;
    try {
      response = await engine.fetch(engine.url + engine.prefix + path + qs, init);
    } catch (err) {
      throw failure(engine, method, path, timeout, options.signal, err);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw failure(engine, method, path, timeout, options.signal, err);
    }
    if (response.status >= 300 || response.type === "opaqueredirect") {
      let reason = text;
      try {
        reason = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // a plain-text answer is its own message
      }
      throw httpError(response.status, reason.trim() || response.statusText || "no message", method, path);
    }
    if (text === "") return undefined as T;
    return (/json/i.test(response.headers.get("content-type") ?? "") ? JSON.parse(text) : text) as T;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", abort);
  }
}

function failure(engine: Engine, method: string, path: string, timeout: number, signal: AbortSignal | undefined, err: unknown): Error {
  if (signal?.aborted) return new DockerAbortError(`${method} ${path}`, { cause: signal.reason });
  if ((err as Error)?.name === "AbortError") return new DockerTimeoutError(method, path, timeout);
  return new DockerConnectionError(
    engine.url,
    (err as { code?: string })?.code,
    `${String((err as Error)?.message ?? err)}. In a browser this one answer stands for an engine that is down, a page origin the engine does not allow (CORS), and an http:// engine called from an https:// page`,
    { cause: err },
  );
}

/** A path segment from an id or name, refused before any request when it cannot be one. */
export function segment(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "" || value === "." || value === "..") {
    const got = value === "" ? "an empty string" : typeof value === "string" ? JSON.stringify(value) : value === null ? "null" : typeof value;
    throw new DockerConfigError(`Expected ${what} (a non-empty string other than "." and ".."), got ${got}`);
  }
  try {
    return encodeURIComponent(value);
  } catch {
    throw new DockerConfigError(`${what} is not valid Unicode text (it holds a lone UTF-16 surrogate)`);
  }
}
