// The engine handle of berth-docker/lite: an address and fetch options, and the one request
// function every lite call goes through. No classes to carry: a page that calls only
// listContainers() bundles that function, this file and the error classes it can throw.
//
// The handle is also a Requester (src/request/operation.ts), so the generated endpoint functions
// (containerList, networkCreate, ...) send through it as they do through the full client.
//
// Requests go to unversioned paths unless `version` is given: the engine then answers in its own
// current API version (a page cannot read the Api-Version header to negotiate, and a round trip
// to /version before the first call would cost more than a list). Versions are still checked as
// the full client checks them: an operation or query parameter newer than API 1.41 (versions.ts)
// is compared with the pinned version, else with the engine's (asked once, on the first such call),
// and refused with DockerVersionError before it is sent to an engine that would ignore it.

import { redactAddress } from "../config/redact.ts";
import { DockerAbortError, DockerConfigError, DockerConnectionError, DockerTimeoutError, httpError } from "../errors/errors.ts";
import { encodeBody, fillPath, serializeQuery } from "../request/encode.ts";
import type { Call } from "../request/engine.ts";
import type { Requester } from "../request/operation.ts";
import { isVersioned, versionRefusal } from "../request/version.ts";

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

/** What `connect()` returns: pass it to every lite function. Nothing is opened. */
export interface Engine extends Requester {
  readonly url: string;
  /** The pinned API version (`"1.41"`), or undefined: the engine's own. */
  readonly version: string | undefined;
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
  const pinned = version?.replace(/^v/, "");
  const engine: Engine = {
    url: url.replace(/\/+$/, ""),
    version: pinned,
    prefix: pinned === undefined ? "" : `/v${pinned}`,
    fetch: f ?? ((input, i) => globalThis.fetch(input, i)),
    init,
    headers,
    timeout,
    json: (call) => send(engine, call),
    void: async (call) => {
      await send(engine, call);
    },
  };
  return engine;
}

/** What request() sends besides the query: a call's body and headers (the generated functions' calls). */
interface Extra {
  body?: BodyInit;
  headers?: Record<string, string>;
}

/** One generated endpoint's call: its path filled in, its versions checked, its body encoded. */
async function send<T>(engine: Engine, call: Call): Promise<T> {
  const path = fillPath(call.path, call.params, call.method);
  await checkVersion(engine, call);
  const headers: Record<string, string> = { ...call.headers };
  const body = encodeBody(call.body, call.contentType, headers) as BodyInit | undefined;
  // Lite's timeout already covers the answer: a deadline is the shorter of the two.
  const limits = [call.timeout ?? engine.timeout, call.deadline ?? 0].filter((ms) => ms > 0);
  return request<T>(engine, call.method, path, call.query, { signal: call.signal, timeout: limits.length ? Math.min(...limits) : 0 }, { body, headers });
}

/** The engine's API version, asked once per handle (GET /version answers it in its body, which CORS never hides). */
const engineVersions = new WeakMap<Engine, Promise<string>>();

async function checkVersion(engine: Engine, call: Call): Promise<void> {
  const key = `${call.method} ${call.path}`;
  if (!isVersioned(key, call.query)) return;
  let actual = engine.version;
  if (actual === undefined) {
    let asking = engineVersions.get(engine);
    if (!asking) {
      asking = request<{ ApiVersion: string }>(engine, "GET", "/version", undefined, { signal: call.signal }).then((v) => v.ApiVersion);
      engineVersions.set(engine, asking);
      asking.catch(() => engineVersions.delete(engine));
    }
    actual = await asking;
  }
  const refusal = versionRefusal(key, call.query, actual, engine.url);
  if (refusal) throw refusal;
}

/**
 * One request: `path` already encoded, `query` serialised as the full client does. Resolves with
 * the parsed JSON (or text, or undefined for an empty body); an error status is the DockerHttpError
 * of that status (DockerNotFoundError for 404, ...), a failed fetch a DockerConnectionError.
 */
export async function request<T>(engine: Engine, method: string, path: string, query?: Record<string, unknown>, options: LiteCallOptions = {}, extra: Extra = {}): Promise<T> {
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
    headers: { ...engine.headers, ...extra.headers },
    body: extra.body,
    signal: controller.signal,
    // The engine redirects only paths it cleaned, i.e. a name that would reach another endpoint.
    redirect: "manual",
  };
  // A stream body is sent as it comes (where the runtime can: Chromium over HTTP/2, edge runtimes).
  if (extra.body instanceof ReadableStream) (init as { duplex?: string }).duplex = "half";
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
    // 304 is the engine's "already so" (start a running container, stop a stopped one): done, as for the full client.
    if ((response.status >= 300 && response.status !== 304) || response.type === "opaqueredirect") {
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
