// berth for Bun: the core plus a Docker bound to Bun's fetch and Bun.connect.
//
//   import { Docker } from "berth";      // picks this file under Bun
//   const docker = Docker.fromEnv();

import { readFileSync } from "node:fs";
import { homedir, platform } from "node:os";
import type { ConfigFs, Env } from "../src/config/config-file.ts";
import { DEFAULT_UNIX_SOCKET, formatDockerHost, parseDockerHost, type DockerHost } from "../src/config/host.ts";
import { resolveEndpoint } from "../src/config/resolve.ts";
import { Docker as CoreDocker, type DockerOptions as CoreOptions } from "../src/docker.ts";
import { DockerUnsupportedError } from "../src/errors.ts";
import type { Transport } from "../src/transport.ts";
import { BunTransport, type BunTlsOptions } from "./bun-transport.ts";

export * from "../src/index.ts";
export { BunTransport, type BunEndpoint, type BunTlsOptions, type BunTransportOptions } from "./bun-transport.ts";

declare const Bun: { env: Record<string, string | undefined> };

export interface BunDockerOptions extends Partial<CoreOptions> {
  /** Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`, `https://host:2376`. */
  host?: string;
  /** Shorthand for `host: "unix://<path>"`. */
  socketPath?: string;
  /** TLS material for https engines. Verification is always on. */
  tls?: BunTlsOptions;
}

export interface BunFromEnvOptions extends BunDockerOptions {
  /** Use this Docker CLI context, as `docker --context NAME` does (wins over DOCKER_HOST). */
  context?: string;
  /** The environment to read; defaults to `Bun.env`. */
  env?: Env;
}

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to `unix:///var/run/docker.sock`. Use
   * `Docker.fromEnv()` to follow DOCKER_HOST and the Docker CLI's contexts.
   */
  constructor(options: BunDockerOptions = {}) {
    const { host, socketPath, tls, transport, ...core } = options;
    const target: DockerHost = socketPath
      ? { kind: "unix", path: socketPath }
      : host
        ? parseDockerHost(host, { tls: tls !== undefined, source: "host" })
        : { kind: "unix", path: DEFAULT_UNIX_SOCKET };
    super({ ...core, transport: transport ?? bunTransport(target, tls) });
  }

  /**
   * Finds the engine as the Docker CLI does: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or the current context of ~/.docker/config.json, else
   * the default socket. DOCKER_API_VERSION pins the API version. Options given here win.
   */
  static fromEnv(options: BunFromEnvOptions = {}): Docker {
    const { context, env = Bun.env, ...rest } = options;
    const explicit = rest.host !== undefined || rest.socketPath !== undefined || rest.transport !== undefined;
    const endpoint = resolveEndpoint(env, bunConfigFs(env.HOME || homedir()), { context, platform: platform() });
    const version = rest.version ?? endpoint.version;
    if (explicit) return new Docker({ ...rest, version });
    const tls = rest.tls ?? endpoint.tls;
    return new Docker({ ...rest, version, transport: bunTransport(endpoint.host, tls) });
  }
}

function bunTransport(host: DockerHost, tls: BunTlsOptions | undefined): Transport {
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

/** node:fs works under Bun, synchronously, which `fromEnv()` needs to return a Docker. */
function bunConfigFs(home: string): ConfigFs {
  return {
    readText(path: string): string | undefined {
      try {
        return readFileSync(path, "utf8");
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        throw err;
      }
    },
    home,
  };
}
