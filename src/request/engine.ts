// The request engine every resource method goes through: version negotiation, request building,
// timeouts and aborts, and turning failures into the DockerError family.

import {
  DockerAbortError,
  DockerConfigError,
  DockerConnectionError,
  DockerError,
  DockerNotFoundError,
  DockerStreamError,
  DockerUnsupportedError,
  DockerVersionError,
  httpError,
} from "../errors/errors.ts";
import { engineFromHeaders, engineFromVersion, isPodmanRouteMiss, podmanErrorStatus, type EngineKind } from "../dialect/podman.ts";
import { dockerDialect, type Dialect } from "../dialect/dialect.ts";
import type { ContextFileSystem } from "../server/build/context.ts";
import type { RegistryAuth } from "../config/registry-auth.ts";
import type { DockerConfigFile } from "../server/config/config-file.ts";
import { proxyVariables } from "../config/proxies.ts";
import type { UpgradedConnection, upgrade } from "../transport/http/upgrade.ts";
import { checkHeaders } from "../transport/http/wire.ts";
import { Deadline, onAbort } from "./deadline.ts";
import { collectBytes, decodeUtf8 } from "../streams/bytes.ts";
import { guardBody } from "../streams/guard.ts";
import { encodeBody, fillPath, serializeQuery } from "./encode.ts";
import type { RequestBody, Transport, TransportResponse, WebSocketLike } from "../transport/transport.ts";
import type { BuilderChoice } from "../buildkit/builder.ts";
import type { SessionHost } from "../buildkit/session/host.ts";
import { MAX_API_VERSION, MIN_API_VERSION, compareVersions, isValidVersion, versionRefusal } from "./version.ts";

/** Options every call accepts. */
export interface CallOptions {
  /** Aborts the call, and the stream it returns. */
  signal?: AbortSignal;
  /**
   * Milliseconds allowed for connecting and receiving the response head, and then, for a call that
   * resolves a value (JSON, text, nothing), the longest silence while its body is read. It never
   * limits a stream returned to you (logs, events, attach, progress). Default: the client's `timeout`.
   */
  timeout?: number;
  /**
   * Milliseconds for the whole call, body and returned stream included; off unless given. Use it to
   * bound a call whose answer may take long to finish (a `load`, a collected pull, a followed log).
   */
  deadline?: number;
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
  /** The answer is a long-lived stream (see TransportRequest.stream). */
  stream?: boolean;
  /** Headers of a hijacked call sent once per value (`POST /session` names each method it offers so). */
  listHeaders?: Record<string, readonly string[]>;
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
  /** What a BuildKit build session needs from the runtime (server runtimes): secrets, ssh, registry auth. */
  sessionHost?: SessionHost;
  /** Pins the API version (e.g. "1.41") and skips negotiation. */
  version?: string;
  /**
   * Default `timeout` of every call in ms: connecting and the response head, then the longest
   * silence while a body that resolves a value is read. Default 60 s; 0 disables.
   */
  timeout?: number;
  /**
   * Largest body, in bytes, of a call that resolves a value (JSON results, text), past which the
   * call fails with DockerStreamError and the connection is dropped. Default 64 MiB. Streams are not
   * limited by it; error answers are read up to 1 MiB.
   */
  maxBodyBytes?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The builder `images.build()` uses when a build does not say: `auto` (default) follows the engine. */
  builder?: BuilderChoice;
  /**
   * The Docker CLI's config.json, for what it sets besides credentials: `proxies` (put into
   * containers' environments and builds' arguments) and `detachKeys` (attach's default). Read
   * on first need, once. Server runtimes pass the file under DOCKER_CONFIG or ~/.docker.
   */
  dockerConfig?: () => DockerConfigFile | undefined;
  /**
   * Loads the HTTP/1.1 upgrade spoken over `transport.connect()` (attach and exec with stdin,
   * build sessions). Server runtimes pass it; the browser entry does not, so no browser bundle
   * carries that code: a browser attaches over the engine's WebSocket.
   */
  upgrade?: () => Promise<Upgrade>;
  /**
   * Loads the build code only server runtimes use (src/server/build/support.ts): the BuildKit
   * session and the directory walker. Server runtimes pass it; the browser entry does not.
   */
  buildSupport?: () => Promise<BuildSupport>;
}

/** The server-only build code (src/server/build/support.ts), as a runtime hands it to the core. */
export type BuildSupport = typeof import("../server/build/support.ts");

/** The HTTP/1.1 upgrade (src/transport/http/upgrade.ts), as a runtime hands it to the core. */
export type Upgrade = typeof upgrade;

const DEFAULT_TIMEOUT = 60_000;
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;
/** Bytes of an error answer kept for its message; the rest is not read (the connection is dropped). */
const MAX_ERROR_BODY = 1024 * 1024;

/** The `/_ping` headers berth reads (null when absent or, in browsers, not exposed by CORS). */
export interface PingHeaders {
  apiVersion: string | null;
  builderVersion: string | null;
}

export class Client {
  readonly transport: Transport;
  readonly timeout: number;
  readonly maxBodyBytes: number;
  credentials: CredentialSource | undefined;
  fileSystem: ContextFileSystem | undefined;
  sessionHost: SessionHost | undefined;
  readonly buildSupport: (() => Promise<BuildSupport>) | undefined;
  readonly builder: BuilderChoice | undefined;
  readonly #loadDockerConfig: (() => DockerConfigFile | undefined) | undefined;
  readonly #upgrade: (() => Promise<Upgrade>) | undefined;
  #dockerConfig: { value: DockerConfigFile | undefined } | undefined;
  #headers: Record<string, string>;
  #version: string | undefined;
  #negotiating: Promise<string> | undefined;
  #engine: EngineKind | undefined;
  #engineProbe: Promise<EngineKind> | undefined;
  #pingHeaders: PingHeaders | undefined;

  constructor(options: ClientOptions) {
    this.transport = options.transport;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    if (!(this.maxBodyBytes > 0)) throw new DockerConfigError(`Invalid maxBodyBytes ${String(options.maxBodyBytes)}: expected a positive number of bytes`);
    this.#headers = { ...options.headers };
    this.credentials = options.credentials;
    this.fileSystem = options.fileSystem;
    this.sessionHost = options.sessionHost;
    this.buildSupport = options.buildSupport;
    this.builder = options.builder;
    this.#upgrade = options.upgrade;
    this.#loadDockerConfig = options.dockerConfig;
    if (options.version !== undefined) {
      const v = options.version.replace(/^v/, "");
      if (!isValidVersion(v)) throw new DockerError(`Invalid API version "${options.version}": expected a version like "1.41"`);
      this.#version = v;
    }
  }

  /** config.json as the Docker this client serves was given it (read once; a failed read is retried). */
  dockerConfig(): DockerConfigFile | undefined {
    return (this.#dockerConfig ??= { value: this.#loadDockerConfig?.() }).value;
  }

  /** config.json's proxy variables for this engine (`HTTP_PROXY`, `http_proxy`, ...); empty when none. */
  proxyVariables(): Record<string, string> {
    return proxyVariables(this.dockerConfig(), this.transport.address);
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
    this.#pingHeaders = { apiVersion: engine, builderVersion: ping.headers.get("builder-version") };
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

  /**
   * @internal What the engine's `/_ping` said, when the client has pinged it (negotiation does;
   * a pinned version skips it): the build's `auto` builder reads Builder-Version from here.
   */
  get pingHeaders(): PingHeaders | undefined {
    return this.#pingHeaders;
  }

  /** How the engine differs where engines differ (src/dialect/dialect.ts): known from `engine()`. */
  async dialect(options: CallOptions = {}): Promise<Dialect> {
    return (await this.engine(options)) === "podman" ? (await import("../dialect/podman-dialect.ts")).podmanDialect : dockerDialect;
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
      if (!call.skipVersionCheck) {
        const refusal = versionRefusal(`${call.method} ${call.path}`, call.query, version, this.transport.address);
        if (refusal) throw refusal;
      }
    }
    const headers: Record<string, string> = { ...this.#headers, ...call.headers };
    const body = encodeBody(call.body, call.contentType, headers);
    checkHeaders(headers);
    return { path, target: prefix + path + serializeQuery(call.query), headers, body };
  }

  /** The limits of one call: its own timeout and deadline, else the client's. */
  #deadline(call: Call, path: string): Deadline {
    return new Deadline(call.method, path, { signal: call.signal, timeout: call.timeout ?? this.timeout, deadline: call.deadline });
  }

  /** What a failure before the response head means, as a DockerError. */
  #failure(err: unknown, deadline: Deadline): unknown {
    const mapped = deadline.error(err);
    if (mapped instanceof DockerError) return mapped;
    return new DockerConnectionError(this.transport.address, (err as { code?: string })?.code, String((err as Error)?.message ?? err), { cause: err });
  }

  /**
   * Sends a call; resolves with the response once its head arrives, throws DockerHttpError on >= 400.
   * The response's `text()` reads the body under the call's idle timeout and `maxBodyBytes`; its
   * `body` stream only under the caller's signal and the call's deadline. Either way the call's
   * timers and its listener on the caller's signal go away when the body is done.
   */
  async send(call: Call): Promise<TransportResponse> {
    let path: string;
    let response: TransportResponse;
    let deadline: Deadline | undefined;
    try {
      const prepared = await this.#prepare(call);
      path = prepared.path;
      const { target, headers, body } = prepared;
      deadline = this.#deadline(call, path);
      if (call.signal?.aborted) throw new DockerAbortError(`${call.method} ${path}`, { cause: call.signal.reason });
      try {
        response = await this.transport.request({ method: call.method, path: target, headers, body, signal: deadline.signal, stream: call.stream });
      } catch (err) {
        throw this.#failure(err, deadline);
      }
    } catch (err) {
      deadline?.end();
      // A stream body the transport never took (the call failed or was aborted first) is
      // cancelled, so that its source (a file, a generator) is released.
      const unsent = call.body;
      if (unsent instanceof ReadableStream && !unsent.locked) unsent.cancel(err).catch(() => {});
      throw err;
    }
    deadline.headersArrived();
    this.#engine ??= engineFromHeaders(response.headers);

    if (response.status >= 300 && response.status !== 304 || response.status === 0) {
      let text = "";
      try {
        if (response.status < 400) {
          // (status 0 is how a browser's fetch reports a redirect it was told not to follow)
          // The engine redirects only paths it normalised (a name containing `..` or `//`): the
          // name does not denote an object, and following would reach another endpoint.
          await collectText(response, deadline, MAX_ERROR_BODY, call.timeout ?? this.timeout, call, path, true).catch(() => {});
          throw httpError(404, `no such object: the engine redirected ${path} to ${response.headers.get("location") ?? "another path"}`, call.method, path);
        }
        // The status alone is worth reporting: a body that fails or is cut off must not hide it.
        text = await collectText(response, deadline, MAX_ERROR_BODY, call.timeout ?? this.timeout, call, path, true).catch(() => "");
      } finally {
        deadline.end();
      }
      if (isPodmanRouteMiss(response.status, response.headers, text)) {
        throw this.#unsupported(call.method, path, httpError(404, errorMessage(text, 404), call.method, path));
      }
      throw httpError(podmanErrorStatus(response.status, text), errorMessage(text, response.status), call.method, path);
    }
    return new GovernedResponse(response, deadline, this.maxBodyBytes, call.timeout ?? this.timeout, call, path);
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
    if (!this.#upgrade) {
      throw new DockerUnsupportedError(
        `${call.method} ${call.path} needs the HTTP/1.1 upgrade on a raw connection, which this entry leaves out: browsers and edge ` +
          "runtimes attach over the engine's WebSocket. berth-docker on Node, Bun or Deno speaks it over its own transports and over a given one",
      );
    }
    const upgrade = await this.#upgrade();
    const deadline = this.#deadline(call, path);
    let conn: UpgradedConnection;
    let finish = (): void => {};
    try {
      if (call.signal?.aborted) throw new DockerAbortError(`${call.method} ${path}`, { cause: call.signal.reason });
      const duplex = await connect.call(this.transport, deadline.signal);
      const all = call.listHeaders ? { ...headers, ...call.listHeaders } : headers;
      conn = await upgrade(duplex, { method: call.method, path: target, headers: all, body, protocol: call.upgradeProtocol }, { signal: deadline.signal, errorPath: path, address: this.transport.address, onEnd: () => finish() });
    } catch (err) {
      deadline.end();
      const failure = this.#failure(err, deadline);
      // Podman's router answers an endpoint it lacks with a bare "Not Found"; a missing object
      // is a JSON message from a handler.
      if (failure instanceof DockerNotFoundError && failure.reason === "Not Found" && this.#engine === "podman") throw this.#unsupported(call.method, path, failure);
      throw failure;
    }
    deadline.headersArrived();
    if (!deadline.watching) {
      deadline.end();
      return conn;
    }
    // The caller's signal (or the deadline) closes the connection later; closing it, or the end of
    // its output, ends the watch.
    const stop = onAbort(deadline.signal, () => conn.close());
    finish = () => {
      stop();
      deadline.end();
    };
    const close = conn.close;
    conn.close = () => {
      finish();
      close();
    };
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

}

/**
 * The response as the core hands it on: `text()` collects the body under the call's idle timeout
 * and size limit, `body` streams it under the caller's signal and the deadline only. Reads that fail
 * because of either are reported as DockerAbortError or DockerTimeoutError on every runtime
 * (transports variously report an AbortError, a reset, or a premature close).
 */
class GovernedResponse implements TransportResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly #source: TransportResponse;
  readonly #deadline: Deadline;
  readonly #maxBytes: number;
  readonly #idle: number;
  readonly #call: Call;
  readonly #path: string;
  #body: ReadableStream<Uint8Array> | null | undefined;

  constructor(source: TransportResponse, deadline: Deadline, maxBytes: number, idle: number, call: Call, path: string) {
    this.#source = source;
    this.status = source.status;
    this.headers = source.headers;
    this.#deadline = deadline;
    this.#maxBytes = maxBytes;
    this.#idle = idle;
    this.#call = call;
    this.#path = path;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body !== undefined) return this.#body;
    const deadline = this.#deadline;
    const source = this.#source.body;
    if (!source || !deadline.watching) {
      // Nothing can abort the stream any more: it goes on as the transport made it.
      deadline.end();
      return (this.#body = source);
    }
    // On fetch runtimes the transport's body is guarded already: the deadline joins that wrapper.
    this.#body = guardBody(source, deadline);
    return this.#body;
  }

  text(): Promise<string> {
    if (this.#body !== undefined) return Promise.reject(new TypeError("The body has already been read"));
    this.#body = null;
    return collectText(this.#source, this.#deadline, this.#maxBytes, this.#idle, this.#call, this.#path, false);
  }
}

/**
 * Reads a body that resolves a value: the idle timeout runs between pieces, at most `maxBytes` are
 * taken. Past that, the reading stops and the connection is dropped (cancelling the body does both);
 * the call fails with DockerStreamError, or, for an error answer (`truncate`), keeps what came.
 * Ends the call's deadline either way.
 */
async function collectText(response: TransportResponse, deadline: Deadline, maxBytes: number, idle: number, call: Call, path: string, truncate: boolean): Promise<string> {
  const tooLarge = () => new DockerStreamError(`${call.method} ${path}: the engine's answer is larger than ${maxBytes} bytes (maxBodyBytes)`);
  try {
    const declared = response.headers.get("content-length");
    // (A HEAD answer's Content-Length describes the body a GET would get: there is none here.)
    if (!truncate && declared !== null && call.method !== "HEAD" && Number(declared) > maxBytes) {
      response.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    deadline.watchIdle(idle);
    if (!truncate && response.collect) {
      let text: string | undefined;
      try {
        text = await response.collect(maxBytes, () => deadline.progress());
      } catch (err) {
        throw deadline.error(err);
      }
      if (text === undefined) throw tooLarge();
      return text;
    }
    const body = response.body;
    if (!body) return "";
    let bytes: Uint8Array | undefined;
    try {
      bytes = await collectBytes(body, { maxBytes, truncate, progress: () => deadline.progress() });
      if (bytes === undefined) throw tooLarge();
    } catch (err) {
      throw deadline.error(err);
    }
    return decodeUtf8(bytes);
  } finally {
    deadline.end();
  }
}

/** Reads a (small) body to its end, so the connection goes back to the pool instead of closing. */
export async function discard(response: TransportResponse): Promise<void> {
  await response.text().catch(() => {});
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
