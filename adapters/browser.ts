// berth for browsers, service workers and edge runtimes: the core plus a Docker bound to the
// global fetch, talking to an engine reached by URL.
//
//   import { Docker } from "berth-docker/browser";
//   const docker = new Docker({ url: "http://127.0.0.1:2375" });
//
// What such a runtime cannot do is refused with a DockerUnsupportedError that says why: it has
// no unix sockets and no raw connections, so exec with stdin (an HTTP upgrade) is out of reach of
// a bare engine. Attach goes over the engine's WebSocket endpoint instead, stdin included; through
// berth's gateway (adapters/gateway.ts) exec with stdin goes over the gateway's WebSocket exec.

import { formatDockerHost, parseDockerHost } from "../src/config/host.ts";
import { redactAddress } from "../src/config/redact.ts";
import { Docker as CoreDocker, type DockerOptions as CoreOptions } from "../src/docker.ts";
import { DockerConfigError, DockerConnectionError, DockerUnsupportedError } from "../src/errors/errors.ts";
import { FetchTransport } from "../src/transport/fetch.ts";
import type { Transport, TransportRequest } from "../src/transport/transport.ts";

export * from "../src/index.ts";
export { FetchTransport, type FetchTransportOptions } from "../src/transport/fetch.ts";

export interface BrowserDockerOptions extends Partial<CoreOptions> {
  /**
   * The engine's URL: `http://127.0.0.1:2375`, `https://docker.example.com:2376`, or a path
   * behind a reverse proxy such as `https://example.com/docker`.
   */
  url?: string;
  /** The same as a DOCKER_HOST value: `tcp://host:2375`, `http(s)://host:port`. No `unix://`. */
  host?: string;
  /** The fetch to use (defaults to the global one). */
  fetch?: typeof fetch;
  /**
   * Extra fetch options for every request, e.g. `{ credentials: "include" }` so a reverse proxy's
   * session cookie goes along.
   */
  init?: RequestInit;
  /**
   * Send stream bodies (build contexts, archives, image loads) as they come, instead of collecting
   * them into a Blob first. Chromium streams request bodies over HTTP/2 only, and Firefox and
   * Safari not at all, so by default berth collects them in browsers and streams them elsewhere
   * (edge runtimes). Turn it on behind an HTTP/2 proxy, off to always collect.
   */
  streamUploads?: boolean;
  /**
   * Whether the URL is berth's gateway (`npx berth-docker serve`), whose WebSocket exec gives exec
   * with stdin and TTY. By default berth knows from the `Berth-Gateway` header of the gateway's
   * answers (exec creation comes first, so it is known by the time an exec starts).
   */
  gateway?: boolean;
}

export class Docker extends CoreDocker {
  /** Connects to the engine at `url` (or `host`). */
  constructor(options: BrowserDockerOptions) {
    // Plain JavaScript may call `new Docker()`: that is the missing-address error below, not a TypeError.
    const { url, host, fetch, init, streamUploads, gateway, transport, ...core } = options ?? {};
    super({ ...core, transport: transport ?? browserTransport(url, host, { fetch, init, streamUploads, gateway }) });
  }

  /**
   * Always throws DockerUnsupportedError: a browser or edge runtime has no environment, Docker
   * config or socket to read the engine's address from. Pass it: `new Docker({ url })`. (Present
   * so code written for Node fails with that message rather than "fromEnv is not a function".)
   */
  static fromEnv(_options?: unknown): never {
    throw new DockerUnsupportedError(NO_ENVIRONMENT("Docker.fromEnv()"));
  }

  /** Always throws DockerUnsupportedError, as `fromEnv` does: there is no context store here. */
  static fromContext(_name?: string, _options?: unknown): never {
    throw new DockerUnsupportedError(NO_ENVIRONMENT("Docker.fromContext()"));
  }
}

/** The header berth's gateway adds to every answer (adapters/gateway.ts). */
const GATEWAY_HEADER = "berth-gateway";

const NO_ENVIRONMENT = (call: string) =>
  `${call} reads DOCKER_HOST and the Docker CLI's config, which a browser or edge runtime does not have: ` +
  'pass the engine\'s URL instead, new Docker({ url: "http://127.0.0.1:2375" })';

function browserTransport(url: string | undefined, host: string | undefined, options: Pick<BrowserDockerOptions, "fetch" | "init" | "streamUploads" | "gateway">): Transport {
  let base: string;
  if (url !== undefined) {
    if (typeof url !== "string" || !/^https?:\/\/[^/]/i.test(url)) {
      throw new DockerConfigError(`url=${typeof url === "string" ? `"${redactAddress(url)}"` : String(url)} is not an engine URL: expected http:// or https://, e.g. http://127.0.0.1:2375`);
    }
    base = withoutUserinfo(url);
  } else if (host !== undefined) {
    const parsed = parseDockerHost(host, { source: "host" });
    if (parsed.kind !== "tcp") {
      throw new DockerUnsupportedError(
        `host="${host}": a browser or edge runtime reaches the engine only over HTTP(S); ${parsed.kind}:// needs a raw socket it cannot open. ` +
          "Expose the engine on TCP (behind TLS or an authenticating proxy) and pass its URL, e.g. { url: \"https://docker.example.com:2376\" }",
      );
    }
    base = formatDockerHost(parsed);
  } else {
    throw new DockerConfigError('The browser entry needs the engine\'s address: new Docker({ url: "http://127.0.0.1:2375" }) (or { host: "tcp://127.0.0.1:2375" }, or { transport })');
  }
  const transport = new FetchTransport(base, { fetch: options.fetch, init: options.init as Record<string, unknown> | undefined });
  const browser = isBrowser();
  const collectStreams = !(options.streamUploads ?? !browser);
  const detect = options.gateway === undefined;
  (transport as Transport).execWebSocket = options.gateway === true;
  if (!browser && !collectStreams && !detect) return transport;
  const request = transport.request.bind(transport);
  transport.request = async (req: TransportRequest) => {
    try {
      const response = await request(collectStreams && req.body instanceof ReadableStream ? { ...req, body: await collect(req.body) } : req);
      if (detect && response.headers.get(GATEWAY_HEADER) !== null) (transport as Transport).execWebSocket = true;
      return response;
    } catch (err) {
      throw browser ? explainFetchFailure(err) : err;
    }
  };
  return transport;
}

/**
 * The URL without `user[:password]@`. A password is refused (it would sit in the address, in
 * messages and in the page's memory); a bare user is dropped, since fetch refuses URLs with
 * credentials and the engine has no login. A proxy's credentials go in `init` or `headers`.
 */
function withoutUserinfo(url: string): string {
  const start = url.indexOf("://") + 3;
  const end = url.slice(start).search(/[/?#]/);
  const authority = end < 0 ? url.slice(start) : url.slice(start, start + end);
  const at = authority.lastIndexOf("@");
  if (at < 0) return url;
  if (authority.slice(0, at).includes(":")) {
    throw new DockerConfigError(
      `url="${redactAddress(url)}" holds a password; an engine address carries no credentials. Send a proxy's credentials as a header ({ headers: { authorization: ... } }) or a cookie ({ init: { credentials: "include" } })`,
    );
  }
  return url.slice(0, start) + url.slice(start + at + 1);
}

/**
 * A browser's fetch fails with the same bare TypeError ("Failed to fetch") for an engine that is
 * down, an origin the engine's CORS setting refuses, and a blocked mixed-content request: say so.
 */
function explainFetchFailure(err: unknown): unknown {
  if (!(err instanceof DockerConnectionError) || !(err.cause instanceof TypeError)) return err;
  return new DockerConnectionError(
    err.address,
    err.code,
    `${err.cause.message}. A browser gives this one answer for an engine that is down or unreachable, a page origin ` +
      "the engine does not allow (dockerd --api-cors-header), and an http:// engine called from an https:// page; the browser console says which",
    { cause: err.cause },
  );
}

/** The whole stream as one Blob (browsers keep large ones off the JS heap). */
function collect(stream: ReadableStream<Uint8Array>): Promise<Blob> {
  return new Response(stream).blob();
}

/**
 * Browsers (pages and their workers) announce themselves as "Mozilla/5.0 ..."; edge runtimes,
 * Deno, Bun and Node do not.
 */
function isBrowser(): boolean {
  return typeof navigator !== "undefined" && /^Mozilla\//.test(navigator.userAgent ?? "");
}
