// berth for Node: the core plus a Docker bound to node:http / node:net / node:tls, ssh, and the
// Docker CLI's configuration (environment, contexts, config.json credentials).
//
//   import { Docker } from "berth-docker";      // picks this file under Node
//   const docker = Docker.fromEnv();

import { type Env } from "../src/config/config-file.ts";
import { formatDockerHost, parseDockerHost, type DockerHost } from "../src/config/host.ts";
import { apiVersionFromEnv, checkTlsPair, currentContextName, platformDefaultHost, resolveEndpoint, type ResolvedEndpoint } from "../src/config/resolve.ts";
import { builderFromEnv } from "../src/buildkit/builder.ts";
import { Docker as CoreDocker, type DockerOptions as CoreOptions } from "../src/docker.ts";
import type { Transport } from "../src/transport.ts";
import { nodeConfigFs, nodeCredentials } from "./node-config.ts";
import { nodeFileSystem } from "./node-fs.ts";
import { lazySessionHost } from "./session-host.ts";
import { SshSocket, type SshOptions } from "./node-ssh.ts";
import { NodeTransport, type NodeTlsOptions } from "./node-transport.ts";

export * from "../src/index.ts";
export * from "../src/server.ts";
export { extractTar, packDirectory, type ExtractOptions } from "./node-archive.ts";
export { NodeTransport, tlsFailure, type NodeTlsOptions } from "./node-transport.ts";
export { serveGateway, type Gateway, type GatewayOptions } from "./gateway.ts";
export { serveDashboard, type DashboardOptions } from "./dashboard.ts";
export { SshSocket, sshArgs, type SshOptions, type SshTarget } from "./node-ssh.ts";
export { nodeConfigFs, nodeCredentials, runCredentialHelper } from "./node-config.ts";

export interface NodeDockerOptions extends Partial<CoreOptions> {
  /**
   * Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`,
   * `https://host:2376`, `ssh://user@host[:port]`, `npipe:////./pipe/docker_engine` (Windows).
   */
  host?: string;
  /** Shorthand for `host: "unix://<path>"`. */
  socketPath?: string;
  /** TLS material (PEM) for https engines. Verification is always on; with `tls`, `tcp://` means https. */
  tls?: NodeTlsOptions;
  /** How to run ssh for `ssh://` engines (config file, identity, extra arguments). */
  ssh?: SshOptions;
  /**
   * Most simultaneous connections; further requests queue. Default 64, and 4 for ssh (each
   * connection is an ssh process; sequential requests reuse one).
   */
  maxSockets?: number;
  /** Milliseconds an idle pooled connection is kept for reuse; 0 keeps it. Default 90 s. */
  idleTimeout?: number;
}

export interface NodeEnvOptions extends NodeDockerOptions {
  /** Variables to read instead of `process.env` (DOCKER_HOST, DOCKER_CONFIG, ...). */
  env?: Env;
}

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to the platform default
   * (`unix:///var/run/docker.sock`). Use `Docker.fromEnv()` to follow DOCKER_HOST and contexts.
   * Registry credentials come from the Docker config (`~/.docker/config.json`) unless
   * `credentials` is given.
   */
  constructor(options: NodeDockerOptions = {}) {
    const { host, socketPath, tls, ssh, maxSockets, idleTimeout, transport, credentials, ...core } = options;
    super({
      ...core,
      transport: transport ?? nodeTransport(hostOf(host, socketPath, tls), { tls, ssh, maxSockets, idleTimeout }),
      credentials: credentials ?? nodeCredentials(),
      fileSystem: core.fileSystem ?? nodeFileSystem,
      sessionHost: core.sessionHost ?? lazySessionHost((name) => process.env[name]),
    });
  }

  /**
   * Connects to the engine the Docker CLI would use: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or config.json's current context, else the platform
   * default. DOCKER_API_VERSION pins the API version; DOCKER_CONFIG moves the config directory.
   * Options given here win over the environment. Throws DockerConfigError for malformed values.
   */
  static fromEnv(options: NodeEnvOptions = {}): Docker {
    const { env = process.env, ...rest } = options;
    if (rest.transport || rest.host !== undefined || rest.socketPath !== undefined) {
      return new Docker({ version: apiVersionFromEnv(env), builder: builderFromEnv(env), credentials: nodeCredentials(env), ...rest });
    }
    return fromEndpoint(resolveEndpoint(env, nodeConfigFs(), { platform: process.platform }), env, rest);
  }

  /**
   * Connects through a Docker CLI context (`docker context ls`), like `docker --context NAME`:
   * the context wins over DOCKER_HOST. Without a name, the current context (DOCKER_CONTEXT, else
   * config.json's `currentContext`). `default` is DOCKER_HOST or the platform default.
   */
  static fromContext(name?: string, options: NodeEnvOptions = {}): Docker {
    const { env = process.env, ...rest } = options;
    const fs = nodeConfigFs();
    const context = name ?? currentContextName(env, fs).name;
    return fromEndpoint(resolveEndpoint(env, fs, { context, platform: process.platform }), env, rest);
  }
}

function fromEndpoint(endpoint: ResolvedEndpoint, env: Env, options: NodeDockerOptions): Docker {
  const tls = options.tls ?? endpoint.tls;
  return new Docker({
    ...options,
    version: options.version ?? endpoint.version,
    builder: options.builder ?? builderFromEnv(env),
    credentials: options.credentials ?? nodeCredentials(env),
    transport: nodeTransport(endpoint.host, { tls, ssh: options.ssh, maxSockets: options.maxSockets, idleTimeout: options.idleTimeout }),
  });
}

function hostOf(host: string | undefined, socketPath: string | undefined, tls: NodeTlsOptions | undefined): DockerHost {
  if (socketPath !== undefined) return { kind: "unix", path: socketPath };
  if (host === undefined) return platformDefaultHost(process.platform);
  const parsed = parseDockerHost(host, { tls: tls !== undefined, source: "host" });
  // TLS material given means TLS: an http:// address must not quietly drop it.
  if (tls !== undefined && parsed.kind === "tcp") parsed.protocol = "https";
  return parsed;
}

interface TransportChoices {
  tls?: NodeTlsOptions;
  ssh?: SshOptions;
  maxSockets?: number;
  idleTimeout?: number;
}

/** The transport for a resolved address. */
export function nodeTransport(host: DockerHost, { tls, ssh, maxSockets, idleTimeout }: TransportChoices = {}): Transport {
  switch (host.kind) {
    case "unix":
      return new NodeTransport({ socketPath: host.path }, { maxSockets, idleTimeout });
    case "npipe":
      return new NodeTransport({ socketPath: host.path.replace(/\//g, "\\") }, { maxSockets, idleTimeout, address: formatDockerHost(host) });
    case "tcp":
      checkTlsPair(tls);
      return new NodeTransport({ protocol: host.protocol, hostname: host.hostname, port: host.port, tls }, { maxSockets, idleTimeout });
    case "ssh":
      // HTTP over the ssh process's pipes; the hostname and port only name the pool.
      return new NodeTransport(
        { protocol: "http", hostname: host.hostname, port: host.port ?? 22 },
        { maxSockets: maxSockets ?? 4, idleTimeout, address: formatDockerHost(host), createConnection: () => new SshSocket(host, ssh) },
      );
  }
}
