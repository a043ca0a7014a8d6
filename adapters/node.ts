// berth for Node: the core plus a Docker bound to node:http / node:net / node:tls, ssh, and the
// Docker CLI's configuration (environment, contexts, config.json credentials).
//
//   import { Docker } from "berth-docker";      // picks this file under Node
//   const docker = Docker.fromEnv();

import type { Env } from "../src/server/config/config-file.ts";
import { formatDockerHost, type DockerHost } from "../src/config/host.ts";
import { checkTlsPair } from "../src/server/endpoint.ts";
import { Docker as CoreDocker } from "../src/docker.ts";
import { serverEntry, type EndpointOptions } from "../src/server/entry.ts";
import type { Transport } from "../src/transport/transport.ts";
import { nodeConfigFs, nodeContextStoreFs, nodeCredentials, nodeDockerConfig } from "./node-config.ts";
import type { ContextStore } from "../src/server/config/contexts.ts";
import { nodeFileSystem } from "./node-fs.ts";
import { lazySessionHost } from "./session-host.ts";
import { SshSocket, type SshOptions } from "./node-ssh.ts";
import { NodeTransport, type NodeTlsOptions } from "./node-transport.ts";

export * from "../src/index.ts";
export * from "../src/server/index.ts";
export { extractTar, packDirectory, serveGateway, serveDashboard, type ExtractOptions, type Gateway, type GatewayOptions, type DashboardOptions } from "./on-demand.ts";
export { NodeTransport, tlsFailure, type NodeTlsOptions } from "./node-transport.ts";
export { SshSocket, sshArgs, type SshOptions, type SshTarget } from "./node-ssh.ts";
export { nodeConfigFs, nodeCredentials, nodeDockerConfig, runCredentialHelper } from "./node-config.ts";

export interface NodeDockerOptions extends EndpointOptions<NodeTlsOptions> {
  /**
   * Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`,
   * `https://host:2376`, `ssh://user@host[:port]`, `npipe:////./pipe/docker_engine` (Windows).
   */
  host?: string;
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

const node = serverEntry<NodeDockerOptions>({
  name: "Node",
  env: () => process.env,
  platform: () => process.platform,
  configFs: () => nodeConfigFs(),
  credentials: nodeCredentials,
  dockerConfig: (env) => nodeDockerConfig(env),
  contextStoreFs: () => nodeContextStoreFs(),
  sessionHost: (env) => lazySessionHost((name) => (env ?? process.env)[name]),
  fileSystem: nodeFileSystem,
  unix: (host, { maxSockets, idleTimeout }) => new NodeTransport({ socketPath: host.path }, { maxSockets, idleTimeout }),
  npipe: (host, { maxSockets, idleTimeout }) =>
    new NodeTransport({ socketPath: host.path.replace(/\//g, "\\") }, { maxSockets, idleTimeout, address: formatDockerHost(host) }),
  tcp: (host, { tls, maxSockets, idleTimeout }) => {
    checkTlsPair(tls);
    return new NodeTransport({ protocol: host.protocol, hostname: host.hostname, port: host.port, tls }, { maxSockets, idleTimeout });
  },
  // HTTP over the ssh process's pipes; the hostname and port only name the pool.
  ssh: (host, { ssh, maxSockets, idleTimeout }) =>
    new NodeTransport(
      { protocol: "http", hostname: host.hostname, port: host.port ?? 22 },
      { maxSockets: maxSockets ?? 4, idleTimeout, address: formatDockerHost(host), createConnection: () => new SshSocket(host, ssh) },
    ),
});

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to the platform default
   * (`unix:///var/run/docker.sock`). Use `Docker.fromEnv()` to follow DOCKER_HOST and contexts.
   * Registry credentials come from the Docker config (`~/.docker/config.json`) unless
   * `credentials` is given.
   */
  constructor(options: NodeDockerOptions = {}) {
    super(node.options(options));
  }

  /**
   * Connects to the engine the Docker CLI would use: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or config.json's current context, else the platform
   * default. DOCKER_API_VERSION pins the API version; DOCKER_CONFIG moves the config directory.
   * Options given here win over the environment. Throws DockerConfigError for malformed values.
   */
  static fromEnv(options: NodeEnvOptions = {}): Docker {
    return new Docker(node.fromEnv(options));
  }

  /**
   * The Docker CLI's contexts, to list, inspect, create, remove and make current, in the CLI's
   * own files under DOCKER_CONFIG (else ~/.docker): `Docker.contexts().create("box", { host:
   * "ssh://me@box" })`, then `Docker.fromContext("box")`.
   */
  static contexts(options: { env?: Env } = {}): ContextStore {
    return node.contexts(options);
  }

  /**
   * Connects through a Docker CLI context (`docker context ls`), like `docker --context NAME`:
   * the context wins over DOCKER_HOST. Without a name, the current context (DOCKER_CONTEXT, else
   * config.json's `currentContext`). `default` is DOCKER_HOST or the platform default.
   */
  static fromContext(name?: string, options: NodeEnvOptions = {}): Docker {
    return new Docker(node.fromContext(name, options));
  }
}

/** The transport for a resolved address. */
export function nodeTransport(host: DockerHost, choices: Pick<NodeDockerOptions, "tls" | "ssh" | "maxSockets" | "idleTimeout"> = {}): Transport {
  return node.transport(host, choices);
}
