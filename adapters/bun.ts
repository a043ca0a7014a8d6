// berth for Bun: the core plus a Docker bound to Bun's fetch and Bun.connect, and the Docker CLI's
// configuration (environment, contexts, config.json credentials) read as on Node: Bun implements
// node:fs and node:child_process, so those parts are shared with the Node adapter.
//
//   import { Docker } from "berth-docker";      // picks this file under Bun
//   const docker = Docker.fromEnv();

import { platform } from "node:os";
import type { Env } from "../src/server/config/config-file.ts";
import type { DockerHost } from "../src/config/host.ts";
import { Docker as CoreDocker } from "../src/docker.ts";
import { serverEntry, type EndpointOptions } from "../src/server/entry.ts";
import type { Transport } from "../src/transport/transport.ts";
import { lazySessionHost } from "./session-host.ts";
import { BunTransport, type BunTlsOptions } from "./bun-transport.ts";
import { nodeConfigFs, nodeContextStoreFs, nodeCredentials, nodeDockerConfig } from "./node-config.ts";
import type { ContextStore } from "../src/server/config/contexts.ts";
import { nodeFileSystem } from "./node-fs.ts";

export * from "../src/index.ts";
export * from "../src/server/index.ts";
export { extractTar, packDirectory, type ExtractOptions } from "./on-demand.ts";
export { BunTransport, type BunEndpoint, type BunTlsOptions, type BunTransportOptions } from "./bun-transport.ts";

declare const Bun: { env: Env };

export interface BunDockerOptions extends EndpointOptions<BunTlsOptions> {}

export interface BunEnvOptions extends BunDockerOptions {
  /** Variables to read instead of `Bun.env` (DOCKER_HOST, DOCKER_CONFIG, ...). */
  env?: Env;
}

const bun = serverEntry<BunDockerOptions>({
  name: "Bun",
  env: () => Bun.env,
  platform,
  configFs: () => nodeConfigFs(),
  credentials: (env = Bun.env) => nodeCredentials(env),
  dockerConfig: (env = Bun.env) => nodeDockerConfig(env),
  contextStoreFs: () => nodeContextStoreFs(),
  // node:http2 serves a given socket on Bun too (docs/builds.md, "Build sessions").
  sessionHost: (env) => lazySessionHost((name) => (env ?? Bun.env)[name]),
  fileSystem: nodeFileSystem,
  unix: (host) => new BunTransport({ socketPath: host.path }),
  tcp: (host, { tls }) => new BunTransport({ protocol: host.protocol, hostname: host.hostname, port: host.port, tls }),
});

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to `unix:///var/run/docker.sock`. Use
   * `Docker.fromEnv()` to follow DOCKER_HOST and contexts. Registry credentials come from the
   * Docker config (`~/.docker/config.json`) unless `credentials` is given.
   */
  constructor(options: BunDockerOptions = {}) {
    super(bun.options(options));
  }

  /**
   * Connects to the engine the Docker CLI would use: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or config.json's current context, else the default
   * socket. DOCKER_API_VERSION pins the API version; DOCKER_CONFIG moves the config directory.
   * Options given here win over the environment. Throws DockerConfigError for malformed values.
   */
  static fromEnv(options: BunEnvOptions = {}): Docker {
    return new Docker(bun.fromEnv(options));
  }

  /**
   * The Docker CLI's contexts, to list, inspect, create, remove and make current, in the CLI's
   * own files under DOCKER_CONFIG (else ~/.docker): `Docker.contexts().create("box", { host:
   * "ssh://me@box" })`, then `Docker.fromContext("box")`.
   */
  static contexts(options: { env?: Env } = {}): ContextStore {
    return bun.contexts(options);
  }

  /**
   * Connects through a Docker CLI context (`docker context ls`), like `docker --context NAME`:
   * the context wins over DOCKER_HOST. Without a name, the current context (DOCKER_CONTEXT, else
   * config.json's `currentContext`).
   */
  static fromContext(name?: string, options: BunEnvOptions = {}): Docker {
    return new Docker(bun.fromContext(name, options));
  }
}

/** The transport for a resolved address. */
export function bunTransport(host: DockerHost, tls?: BunTlsOptions): Transport {
  return bun.transport(host, { tls });
}
