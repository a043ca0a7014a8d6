// The request engine every resource method goes through: version negotiation, request building,
// timeouts and aborts, and turning failures into the DockerError family.

import {
  DockerAbortError,
  DockerConnectionError,
  DockerError,
  DockerNotFoundError,
  DockerTimeoutError,
  DockerUnsupportedError,
  DockerVersionError,
  httpError,
} from "./errors.ts";
import { operationMinVersion, queryParamMinVersion } from "./generated/versions.ts";
import { engineFromHeaders, engineFromVersion, isPodmanRouteMiss, podmanErrorStatus, type EngineKind } from "./podman.ts";
import type { ContextFileSystem } from "./build/context.ts";
import type { RegistryAuth } from "./config/registry-auth.ts";
import type { UpgradedConnection } from "./http/upgrade.ts";
import { fillPath, serializeQuery } from "./request.ts";
import type { RequestBody, Transport, TransportResponse, WebSocketLike } from "./transport.ts";
import type { BuilderChoice } from "./buildkit/builder.ts";
import { MAX_API_VERSION, MIN_API_VERSION, compareVersions, isValidVersion } from "./version.ts";

/** Options every call accepts. */
export interface CallOptions {
  /** Aborts the call, and the stream it returns. */
  signal?: AbortSignal;
  /** Milliseconds for connecting and receiving response headers; never limits a stream's life. */
  timeout?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** One request, as resource methods describe it. */
export interface Call extends CallOptions {
  method: string;
  /** Spec path template, e.g. `/containers/{id}/json`. */
  path: string;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  /** A plain object or array is sent as JSON; bytes, strings, streams and Blobs as they are. */
  body?: unknown;
  /** Content-Type for a non-JSON body (e.g. `application/x-tar`). */
  contentType?: string;
  /** Skip the version prefix (`/_ping` during negotiation). */
  unversioned?: boolean;
  /** Skip the check of operation/parameter versions (where the spec is known to under-report). */
  skipVersionCheck?: boolean;
  /** Protocol asked for in the Upgrade header of a hijacked call (default `tcp`). */
  upgradeProtocol?: string;
}

/** Finds registry credentials for an image (from the Docker config, a credential helper, ...). */
export interface CredentialSource {
  forImage(ref: string): Promise<RegistryAuth | undefined>;
  /** Every registry's credentials, keyed as config.json keys them (for builds' X-Registry-Config). */
  all?(): Promise<Record<string, RegistryAuth>>;
}

export interface ClientOptions {
  transport: Transport;
  /** Where pull/push/build find credentials when none are given. */
  credentials?: CredentialSource;
  /** File access for building from a directory (server runtimes). */
  fileSystem?: ContextFileSystem;
  /** Pins the API version (e.g. "1.41") and skips negotiation. */
  version?: string;
  /** Default timeout in ms for connecting and response headers. Default 60 s; 0 disables. */
  timeout?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The builder `images.build()` uses when a build does not say: `auto` (default) follows the engine. */
  builder?: BuilderChoice;
}

const DEFAULT_TIMEOUT = 60_000;

export class Client {
  readonly transport: Transport;
  readonly timeout: number;
  credentials: CredentialSource | undefined;
  fileSystem: ContextFileSystem | undefined;
  readonly builder: BuilderChoice | undefined;
  #headers: Record<string, string>;
  #version: string | undefined;
  #negotiating: Promise<string> | undefined;
  #engine: EngineKind | undefined;
  #engineProbe: Promise<EngineKind> | undefined;

  constructor(options: ClientOptions) {
    this.transport = options.transport;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.#headers = { ...options.headers };
    this.credentials = options.credentials;
    this.fileSystem = options.fileSystem;
    this.builder = options.builder;
    if (options.version !== undefined) {
      const v = options.version.replace(/^v/, "");
      if (!isValidVersion(v)) throw new DockerError(`Invalid API version "${options.version}": expected a version like "1.41"`);
      this.#version = v;
    }
  }

  /** The API version in use, negotiating it on first use (once, even under concurrent calls). */
  apiVersion(): Promise<string> {
    if (this.#version !== undefined) return Promise.resolve(this.#version);
    this.#negotiating ??= this.#negotiate().then(
      (v) => (this.#version = v),
      (err) => {
        this.#negotiating = undefined; // a failed negotiation is retried by the next call
        throw err;
      },
    );
    return this.#negotiating;
  }

  /** The negotiated or pinned version, if known yet. */
  get version(): string | undefined {
    return this.#version;
  }

  async #negotiate(): Promise<string> {
    const ping = await this.send({ method: "GET", path: "/_ping", unversioned: true });
    let engine = ping.headers.get("api-version");
    await discard(ping);
    if (!engine) {
      // Browsers cannot read Api-Version (the engine's CORS reply does not expose it).
      const info = await this.json<{ ApiVersion?: string; Components?: Array<{ Name?: string }> }>({ method: "GET", path: "/version", unversioned: true });
      engine = info?.ApiVersion ?? null;
      this.#engine ??= engineFromVersion(info);
    }
    if (!engine || !isValidVersion(engine)) return MIN_API_VERSION;
    if (compareVersions(engine, MIN_API_VERSION) < 0) {
      throw new DockerVersionError(
        `The engine at ${this.transport.address} speaks API ${engine}; berth needs at least ${MIN_API_VERSION}. Upgrade the engine.`,
        MIN_API_VERSION,
        engine,
      );
    }
    return compareVersions(engine, MAX_API_VERSION) < 0 ? engine : MAX_API_VERSION;
  }

  /**
   * Which engine serves the API: `podman` for Podman's Docker-compatible service, else `docker`.
   * Known from the headers of any reply so far (negotiation's ping), else asked once with
   * `GET /version`, whose components name Podman.
   */
  async engine(options: CallOptions = {}): Promise<EngineKind> {
    if (this.#engine !== undefined) return this.#engine;
    // Negotiation's ping usually names the engine in its headers, at no extra cost.
    if (this.#version === undefined) await this.apiVersion();
    if (this.#engine !== undefined) return this.#engine;
    this.#engineProbe ??= this.json<{ Components?: Array<{ Name?: string }> }>({ ...options, method: "GET", path: "/version", unversioned: true }).then(
      (info) => (this.#engine = engineFromVersion(info)),
      (err) => {
        this.#engineProbe = undefined;
        throw err;
      },
    );
    return this.#engineProbe;
  }

  /** True when the engine is Podman (see `engine()`). */
  async isPodman(options: CallOptions = {}): Promise<boolean> {
    return (await this.engine(options)) === "podman";
  }

  /** Path (for messages), full request target, headers and encoded body of a call. */
  async #prepare(call: Call): Promise<{ path: string; target: string; headers: Record<string, string>; body: RequestBody | undefined }> {
    const path = fillPath(call.path, call.params, call.method);
    let prefix = "";
    if (!call.unversioned) {
      const version = this.#version ?? (await this.apiVersion());
      prefix = `/v${version}`;
      if (!call.skipVersionCheck) this.#checkVersion(call, version);
    }
    const headers: Record<string, string> = { ...this.#headers, ...call.headers };
    let body: RequestBody | undefined;
    if (call.body !== undefined && call.body !== null) {
      if (isRawBody(call.body)) {
        body = call.body;
        headers["content-type"] ??= call.contentType ?? "application/octet-stream";
      } else {
        body = JSON.stringify(call.body);
        headers["content-type"] = "application/json";
      }
    }
    return { path, target: prefix + path + serializeQuery(call.query), headers, body };
  }

  /**
   * Runs `start` under the call's deadline (connect + response headers) and abort signal, and
   * maps failures: the timer firing → DockerTimeoutError, the user's signal → DockerAbortError,
   * anything else not already a DockerError → DockerConnectionError. The returned signal stays
   * tied to the user's signal after `start` resolves, so aborting later ends the stream too.
   */
  async #underDeadline<T>(call: Call, path: string, start: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; release: () => void }> {
    const timeout = call.timeout ?? this.timeout;
    const controller = new AbortController();
    let timedOut = false;
    const timer = timeout > 0 ? setTimeout(() => { timedOut = true; controller.abort(); }, timeout) : undefined;
    const userSignal = call.signal;
    const onAbort = () => controller.abort(userSignal!.reason);
    const release = () => userSignal?.removeEventListener("abort", onAbort);
    if (userSignal) {
      if (userSignal.aborted) {
        clearTimeout(timer);
        throw new DockerAbortError(`${call.method} ${path}`, { cause: userSignal.reason });
      }
      userSignal.addEventListener("abort", onAbort, { once: true });
    }
    try {
      return { value: await start(controller.signal), release };
    } catch (err) {
      release();
      if (timedOut) throw new DockerTimeoutError(call.method, path, timeout);
      if (userSignal?.aborted) throw new DockerAbortError(`${call.method} ${path}`, { cause: userSignal.reason });
      if (err instanceof DockerError) throw err;
      throw new DockerConnectionError(this.transport.address, (err as { code?: string })?.code, String((err as Error)?.message ?? err), { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a call; resolves with the response once headers arrive, throws DockerHttpError on >= 400. */
  async send(call: Call): Promise<TransportResponse> {
    let path: string;
    let response: TransportResponse;
    let release: () => void;
    try {
      const prepared = await this.#prepare(call);
      path = prepared.path;
      const { target, headers, body } = prepared;
      ({ value: response, release } = await this.#underDeadline(call, path, (signal) =>
        this.transport.request({ method: call.method, path: target, headers, body, signal }),
      ));
    } catch (err) {
      // A stream body the transport never took (the call failed or was aborted first) is
      // cancelled, so that its source (a file, a generator) is released.
      const unsent = call.body;
      if (unsent instanceof ReadableStream && !unsent.locked) unsent.cancel(err).catch(() => {});
      throw err;
    }
    // The user's signal keeps governing the body; it is released once the body is done. For
    // simplicity the listener stays until then (AbortSignal listeners are cheap and once-only).
    this.#engine ??= engineFromHeaders(response.headers);

    if (response.status >= 300 && response.status !== 304 || response.status === 0) {
      release();
      if (response.status < 400) {
        // (status 0 is how a browser's fetch reports a redirect it was told not to follow)
        // The engine redirects only paths it normalised (a name containing `..` or `//`): the
        // name does not denote an object, and following would reach another endpoint.
        await discard(response);
        throw httpError(404, `no such object: the engine redirected ${path} to ${response.headers.get("location") ?? "another path"}`, call.method, path);
      }
      const text = await readErrorBody(response);
      if (isPodmanRouteMiss(response.status, response.headers, text)) {
        throw this.#unsupported(call.method, path, httpError(404, errorMessage(text, 404), call.method, path));
      }
      throw httpError(podmanErrorStatus(response.status, text), errorMessage(text, response.status), call.method, path);
    }
    return call.signal ? abortAware(response, call.signal, `${call.method} ${path}`) : response;
  }

  /**
   * Takes a connection over (attach, exec start): a fresh raw connection from the transport, the
   * HTTP/1.1 upgrade, then raw bytes both ways. The deadline covers connecting and the handshake;
   * aborting the call's signal later closes the connection.
   */
  async hijack(call: Call): Promise<UpgradedConnection> {
    const connect = this.transport.connect;
    if (!connect) {
      throw new DockerUnsupportedError(
        `${call.method} ${call.path} needs a raw two-way connection to the engine (an HTTP upgrade), which the transport for ` +
          `${this.transport.address} cannot open: browsers and edge runtimes have no raw sockets. Without stdin, exec output ` +
          "streams over plain HTTP; for interactive input, attach to a container started with OpenStdin (it uses the engine's WebSocket)",
      );
    }
    const { path, target, headers, body } = await this.#prepare(call);
    if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)) {
      throw new DockerError("A hijacked request takes a JSON or byte body only");
    }
    // Loaded on demand: runtimes without raw sockets (browsers) never need the HTTP/1.1 upgrade.
    const { upgrade } = await import("./http/upgrade.ts");
    const { value: conn, release } = await this.#underDeadline(call, path, async (signal) => {
      const duplex = await connect.call(this.transport, signal);
      return upgrade(duplex, { method: call.method, path: target, headers, body, protocol: call.upgradeProtocol }, { signal, errorPath: path, address: this.transport.address });
    }).catch((err: unknown) => {
      // Podman's router answers an endpoint it lacks with a bare "Not Found"; a missing object
      // is a JSON message from a handler.
      if (err instanceof DockerNotFoundError && err.reason === "Not Found" && this.#engine === "podman") throw this.#unsupported(call.method, path, err);
      throw err;
    });
    release();
    if (call.signal) {
      const signal = call.signal;
      const onAbort = () => conn.close();
      signal.addEventListener("abort", onAbort, { once: true });
      const close = conn.close;
      conn.close = () => {
        signal.removeEventListener("abort", onAbort);
        close();
      };
    }
    return conn;
  }

  #unsupported(method: string, path: string, cause: unknown): DockerUnsupportedError {
    const podman = this.#engine === "podman" ? " (Podman serves most of the Docker API, but not swarm, plugins, BuildKit sessions, build cache and a few more)" : "";
    return new DockerUnsupportedError(`${method} ${path} is not implemented by the engine at ${this.transport.address}: it has no such endpoint${podman}`, { cause });
  }

  /** Opens a WebSocket to an engine path (browsers' attach). */
  async openWebSocket(call: Call): Promise<WebSocketLike> {
    const open = this.transport.webSocket;
    if (!open) throw new DockerUnsupportedError(`This transport (${this.transport.address}) cannot open WebSockets`);
    const { target } = await this.#prepare(call);
    return open.call(this.transport, target);
  }

  /** Sends a call and parses a JSON answer (undefined for an empty body). */
  async json<T>(call: Call): Promise<T> {
    const response = await this.send(call);
    const text = await response.text();
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new DockerError(`${call.method} ${call.path}: the engine answered with invalid JSON: ${text.slice(0, 200)}`, { cause: err });
    }
  }

  /** Sends a call and ignores the answer's body. */
  async void(call: Call): Promise<void> {
    await discard(await this.send(call));
  }

  #checkVersion(call: Call, version: string): void {
    const key = `${call.method} ${call.path}`;
    const needed = operationMinVersion[key];
    if (needed !== undefined && compareVersions(version, needed) < 0) {
      throw new DockerVersionError(
        `${key} needs API ${needed} or newer; the engine at ${this.transport.address} speaks ${version}`,
        needed,
        version,
      );
    }
    const params = queryParamMinVersion[key];
    if (params && call.query) {
      for (const name in params) {
        if (call.query[name] !== undefined && compareVersions(version, params[name]!) < 0) {
          throw new DockerVersionError(
            `The "${name}" parameter of ${key} needs API ${params[name]} or newer; the engine at ${this.transport.address} speaks ${version}`,
            params[name]!,
            version,
          );
        }
      }
    }
  }
}

function isRawBody(body: unknown): body is RequestBody {
  return (
    typeof body === "string" ||
    body instanceof Uint8Array ||
    body instanceof ReadableStream ||
    (typeof Blob !== "undefined" && body instanceof Blob)
  );
}

/**
 * The response, with reads that fail because the caller's signal fired reported as
 * DockerAbortError on every runtime (transports variously report an AbortError, a reset, or a
 * premature close). Only calls given a signal pay for the extra layer.
 */
function abortAware(response: TransportResponse, signal: AbortSignal, what: string): TransportResponse {
  const mapError = (err: unknown): unknown =>
    signal.aborted && !(err instanceof DockerAbortError) ? new DockerAbortError(what, { cause: err }) : err;
  let body: ReadableStream<Uint8Array> | null | undefined;
  return {
    status: response.status,
    headers: response.headers,
    get body() {
      if (body !== undefined) return body;
      const source = response.body;
      if (!source) return (body = null);
      const reader = source.getReader();
      body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            try {
              const { done, value } = await reader.read();
              if (done) controller.close();
              else controller.enqueue(value);
            } catch (err) {
              throw mapError(err);
            }
          },
          cancel(reason) {
            return reader.cancel(reason);
          },
        },
        { highWaterMark: 0 },
      );
      return body;
    },
    text: () => response.text().catch((err: unknown) => { throw mapError(err); }),
  };
}

/** Reads a (small) body to its end, so the connection goes back to the pool instead of closing. */
export async function discard(response: TransportResponse): Promise<void> {
  await response.text().catch(() => {});
}

async function readErrorBody(response: TransportResponse): Promise<string> {
  try {
    return await response.text();
  } catch {
    return ""; // The body could not be read; the status alone must do.
  }
}

/** The daemon's `message` from an error body, or the body text, or the status. */
function errorMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: string };
    if (parsed && typeof parsed.message === "string") return parsed.message;
  } catch {
    // Not JSON: older engines and proxies answer in plain text.
  }
  return text.trim() || `HTTP ${status}`;
}
