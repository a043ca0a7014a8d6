// berth for Bun: the core plus a Docker bound to Bun's fetch and Bun.connect, and the Docker CLI's
// configuration (environment, contexts, config.json credentials) read as on Node: Bun implements
// node:fs and node:child_process, so those parts are shared with the Node adapter.
//
//   import { Docker } from "berth-docker";      // picks this file under Bun
//   const docker = Docker.fromEnv();

import { platform } from "node:os";
import type { Env } from "../src/config/config-file.ts";
import { formatDockerHost, parseDockerHost, type DockerHost } from "../src/config/host.ts";
import { apiVersionFromEnv, currentContextName, platformDefaultHost, resolveEndpoint, type ResolvedEndpoint } from "../src/config/resolve.ts";
import { builderFromEnv } from "../src/buildkit/builder.ts";
import { Docker as CoreDocker, type DockerOptions as CoreOptions } from "../src/docker.ts";
import { DockerUnsupportedError } from "../src/errors.ts";
import type { Transport } from "../src/transport.ts";
import { lazySessionHost } from "./session-host.ts";
import { BunTransport, type BunTlsOptions } from "./bun-transport.ts";
import { nodeConfigFs, nodeCredentials } from "./node-config.ts";
import { nodeFileSystem } from "./node-fs.ts";

export * from "../src/index.ts";
export * from "../src/server.ts";
export { extractTar, packDirectory, type ExtractOptions } from "./node-archive.ts";
export { BunTransport, type BunEndpoint, type BunTlsOptions, type BunTransportOptions } from "./bun-transport.ts";

declare const Bun: { env: Env };

export interface BunDockerOptions extends Partial<CoreOptions> {
  /** Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`, `https://host:2376`. */
  host?: string;
  /** Shorthand for `host: "unix://<path>"`. */
  socketPath?: string;
  /** TLS material (PEM) for https engines. Verification is always on; with `tls`, `tcp://` means https. */
  tls?: BunTlsOptions;
}

export interface BunEnvOptions extends BunDockerOptions {
  /** Variables to read instead of `Bun.env` (DOCKER_HOST, DOCKER_CONFIG, ...). */
  env?: Env;
}

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to `unix:///var/run/docker.sock`. Use
   * `Docker.fromEnv()` to follow DOCKER_HOST and contexts. Registry credentials come from the
   * Docker config (`~/.docker/config.json`) unless `credentials` is given.
   */
  constructor(options: BunDockerOptions = {}) {
    const { host, socketPath, tls, transport, credentials, ...core } = options;
    super({
      ...core,
      transport: transport ?? bunTransport(hostOf(host, socketPath, tls), tls),
      credentials: credentials ?? nodeCredentials(Bun.env),
      fileSystem: core.fileSystem ?? nodeFileSystem,
      // node:http2 serves a given socket on this runtime too (docs/builds.md, "Build sessions").
      sessionHost: core.sessionHost ?? lazySessionHost((name) => Bun.env[name]),
    });
  }

  /**
   * Connects to the engine the Docker CLI would use: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or config.json's current context, else the default
   * socket. DOCKER_API_VERSION pins the API version; DOCKER_CONFIG moves the config directory.
   * Options given here win over the environment. Throws DockerConfigError for malformed values.
   */
  static fromEnv(options: BunEnvOptions = {}): Docker {
    const { env = Bun.env, ...rest } = options;
    if (rest.transport || rest.host !== undefined || rest.socketPath !== undefined) {
      return new Docker({ version: apiVersionFromEnv(env), builder: builderFromEnv(env), credentials: nodeCredentials(env), ...rest });
    }
    return fromEndpoint(resolveEndpoint(env, nodeConfigFs(), { platform: platform() }), env, rest);
  }

  /**
   * Connects through a Docker CLI context (`docker context ls`), like `docker --context NAME`:
   * the context wins over DOCKER_HOST. Without a name, the current context (DOCKER_CONTEXT, else
   * config.json's `currentContext`).
   */
  static fromContext(name?: string, options: BunEnvOptions = {}): Docker {
    const { env = Bun.env, ...rest } = options;
    const fs = nodeConfigFs();
    const context = name ?? currentContextName(env, fs).name;
    return fromEndpoint(resolveEndpoint(env, fs, { context, platform: platform() }), env, rest);
  }
}

function fromEndpoint(endpoint: ResolvedEndpoint, env: Env, options: BunDockerOptions): Docker {
  const tls = options.tls ?? endpoint.tls;
  return new Docker({
    ...options,
    version: options.version ?? endpoint.version,
    builder: options.builder ?? builderFromEnv(env),
    credentials: options.credentials ?? nodeCredentials(env),
    transport: bunTransport(endpoint.host, tls),
  });
}

function hostOf(host: string | undefined, socketPath: string | undefined, tls: BunTlsOptions | undefined): DockerHost {
  if (socketPath !== undefined) return { kind: "unix", path: socketPath };
  if (host === undefined) return platformDefaultHost(platform());
  const parsed = parseDockerHost(host, { tls: tls !== undefined, source: "host" });
  // TLS material given means TLS: an http:// address must not quietly drop it.
  if (tls !== undefined && parsed.kind === "tcp") parsed.protocol = "https";
  return parsed;
}

/** The transport for a resolved address. */
export function bunTransport(host: DockerHost, tls?: BunTlsOptions): Transport {
  switch (host.kind) {
    case "unix":
      return new BunTransport({ socketPath: host.path });
    case "tcp":
      return new BunTransport({ protocol: host.protocol, hostname: host.hostname, port: host.port, tls });
    case "npipe":
    case "ssh":
      throw new DockerUnsupportedError(`${host.kind}:// engines are not supported on Bun yet (${formatDockerHost(host)})`);
  }
}
