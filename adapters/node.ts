// berth for Node: the core plus a Docker bound to node:http / node:net.
//
//   import { Docker } from "berth";      // picks this file under Node
//   const docker = Docker.fromEnv();

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_UNIX_SOCKET, formatDockerHost, parseDockerHost, type DockerHost } from "../src/config/host.ts";
import { Docker as CoreDocker, type DockerOptions as CoreOptions } from "../src/docker.ts";
import { DockerConfigError, DockerUnsupportedError } from "../src/errors.ts";
import type { Transport } from "../src/transport.ts";
import { NodeTransport, type NodeTlsOptions } from "./node-transport.ts";

export * from "../src/index.ts";
export { NodeTransport, type NodeTlsOptions } from "./node-transport.ts";

export interface NodeDockerOptions extends Partial<CoreOptions> {
  /** Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`, `https://host:2376`. */
  host?: string;
  /** Shorthand for `host: "unix://<path>"`. */
  socketPath?: string;
  /** TLS material for https engines. Verification is always on. */
  tls?: NodeTlsOptions;
  /** Most simultaneous connections; further requests queue. Default 64. */
  maxSockets?: number;
}

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to the platform default
   * (`unix:///var/run/docker.sock`). Use `Docker.fromEnv()` to follow DOCKER_HOST.
   */
  constructor(options: NodeDockerOptions = {}) {
    const { host, socketPath, tls, maxSockets, transport, ...core } = options;
    super({ ...core, transport: transport ?? nodeTransport(host, socketPath, tls, maxSockets) });
  }

  /**
   * Reads the environment like the Docker CLI: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH,
   * DOCKER_API_VERSION. Options given here win over the environment.
   */
  static fromEnv(options: NodeDockerOptions = {}): Docker {
    const env = process.env;
    const resolved: NodeDockerOptions = { ...options };
    if (resolved.version === undefined && env.DOCKER_API_VERSION) resolved.version = env.DOCKER_API_VERSION;
    if (resolved.host === undefined && resolved.socketPath === undefined && env.DOCKER_HOST) resolved.host = env.DOCKER_HOST;
    const tlsVerify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== "" && env.DOCKER_TLS_VERIFY !== "0";
    if (tlsVerify && resolved.tls === undefined) {
      const dir = env.DOCKER_CERT_PATH || join(env.HOME ?? "", ".docker");
      resolved.tls = readCerts(dir);
      if (resolved.host) resolved.host = upgradeToTls(resolved.host);
    }
    return new Docker(resolved);
  }
}

function nodeTransport(host: string | undefined, socketPath: string | undefined, tls: NodeTlsOptions | undefined, maxSockets: number | undefined): Transport {
  const parsed: DockerHost = socketPath
    ? { kind: "unix", path: socketPath }
    : host
      ? parseDockerHost(host, { tls: tls !== undefined, source: "host" })
      : { kind: "unix", path: DEFAULT_UNIX_SOCKET };
  switch (parsed.kind) {
    case "unix":
      return new NodeTransport({ socketPath: parsed.path }, { maxSockets });
    case "npipe":
      return new NodeTransport({ socketPath: parsed.path.replace(/\//g, "\\") }, { maxSockets, address: formatDockerHost(parsed) });
    case "tcp":
      return new NodeTransport({ protocol: parsed.protocol, hostname: parsed.hostname, port: parsed.port, tls }, { maxSockets });
    case "ssh":
      throw new DockerUnsupportedError(`ssh:// engines are not supported yet (${formatDockerHost(parsed)})`);
  }
}

function upgradeToTls(host: string): string {
  return host.replace(/^tcp:\/\//i, "https://");
}

function readCerts(dir: string): NodeTlsOptions {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), "utf8");
    } catch (err) {
      throw new DockerConfigError(`DOCKER_TLS_VERIFY is set but ${join(dir, name)} cannot be read (DOCKER_CERT_PATH="${dir}"): ${(err as Error).message}`);
    }
  };
  return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
}
