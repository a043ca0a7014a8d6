// berth for Deno: the core plus a Docker bound to Deno's fetch (with a Deno.HttpClient) and
// Deno.connect, and the Docker CLI's configuration (environment, contexts, config.json
// credentials) read with Deno's own APIs.
//
//   import { Docker } from "berth-docker";      // or "jsr:@berth/docker"
//   const docker = Docker.fromEnv();
//
// Permissions for the default socket: --allow-net=docker,unix:/var/run/docker.sock (`docker` is
// the placeholder host of the request URLs) --allow-read=/var/run/docker.sock
// --allow-write=/var/run/docker.sock; fromEnv() adds --allow-env and --allow-read of ~/.docker.
// A TCP engine needs only --allow-net=host:port.

import type { Env } from "../src/server/config/config-file.ts";
import type { DockerHost } from "../src/config/host.ts";
import { Docker as CoreDocker } from "../src/docker.ts";
import { serverEntry, type EndpointOptions } from "../src/server/entry.ts";
import type { Transport } from "../src/transport/transport.ts";
import { denoConfigFs, denoContextStoreFs, denoCredentials, denoDockerConfig, denoEnv, denoFileSystem, denoPlatform } from "./deno-config.ts";
import type { ContextStore } from "../src/server/config/contexts.ts";
import { lazySessionHost } from "./session-host.ts";
import { DenoTransport, type DenoTlsOptions } from "./deno-transport.ts";

export * from "../src/index.ts";
export * from "../src/server/index.ts";
export { DenoTransport, type DenoEndpoint, type DenoTlsOptions, type DenoTransportOptions } from "./deno-transport.ts";
export { denoConfigFs, denoCredentials, denoEnv, denoFileSystem, runDenoCredentialHelper } from "./deno-config.ts";

export interface DenoDockerOptions extends EndpointOptions<DenoTlsOptions> {
  /**
   * Most simultaneous connections for calls (inspect, list, create...); further calls queue.
   * Default 64. Streams (logs, events, exec output) and sessions take connections of their own.
   */
  maxSockets?: number;
  /** Milliseconds an idle pooled connection is kept for reuse; 0 keeps it. Default 90 s. */
  idleTimeout?: number;
}

export interface DenoEnvOptions extends DenoDockerOptions {
  /** Variables to read instead of `Deno.env` (DOCKER_HOST, DOCKER_CONFIG, ...). */
  env?: Env;
}

const deno = serverEntry<DenoDockerOptions>({
  name: "Deno",
  env: denoEnv,
  platform: denoPlatform,
  configFs: denoConfigFs,
  credentials: denoCredentials,
  dockerConfig: (env) => denoDockerConfig(env),
  contextStoreFs: denoContextStoreFs,
  // node:http2 serves a given socket on Deno too (docs/builds.md, "Build sessions").
  sessionHost: (env) => lazySessionHost((name) => (env ?? denoEnv())[name]),
  fileSystem: denoFileSystem,
  unix: (host, { maxSockets, idleTimeout }) => new DenoTransport({ socketPath: host.path }, { maxSockets, idleTimeout }),
  tcp: (host, { tls, maxSockets, idleTimeout }) =>
    new DenoTransport({ protocol: host.protocol, hostname: host.hostname, port: host.port, tls }, { maxSockets, idleTimeout }),
});

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to `unix:///var/run/docker.sock`. Use
   * `Docker.fromEnv()` to follow DOCKER_HOST and contexts. Registry credentials come from the
   * Docker config (`~/.docker/config.json`, when readable) unless `credentials` is given.
   */
  constructor(options: DenoDockerOptions = {}) {
    super(deno.options(options));
  }

  /**
   * Connects to the engine the Docker CLI would use: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or config.json's current context, else the default
   * socket. DOCKER_API_VERSION pins the API version; DOCKER_CONFIG moves the config directory.
   * Options given here win over the environment. Throws DockerConfigError for malformed values.
   */
  static fromEnv(options: DenoEnvOptions = {}): Docker {
    return new Docker(deno.fromEnv(options));
  }

  /**
   * The Docker CLI's contexts, to list, inspect, create, remove and make current, in the CLI's
   * own files under DOCKER_CONFIG (else ~/.docker): `Docker.contexts().create("box", { host:
   * "ssh://me@box" })`, then `Docker.fromContext("box")`.
   */
  static contexts(options: { env?: Env } = {}): ContextStore {
    return deno.contexts(options);
  }

  /**
   * Connects through a Docker CLI context (`docker context ls`), like `docker --context NAME`:
   * the context wins over DOCKER_HOST. Without a name, the current context (DOCKER_CONTEXT, else
   * config.json's `currentContext`).
   */
  static fromContext(name?: string, options: DenoEnvOptions = {}): Docker {
    return new Docker(deno.fromContext(name, options));
  }
}

/** The transport for a resolved address. */
export function denoTransport(host: DockerHost, tls?: DenoTlsOptions): Transport {
  return deno.transport(host, { tls });
}
