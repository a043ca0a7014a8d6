// berth for Deno: the core plus a Docker bound to Deno's fetch (with a Deno.HttpClient) and
// Deno.connect.
//
//   import { Docker } from "berth";      // or "jsr:@berth/berth"
//   const docker = Docker.fromEnv();
//
// Permissions for the default socket: --allow-net=docker,unix:/var/run/docker.sock (`docker` is
// the placeholder host of the request URLs) --allow-read=/var/run/docker.sock
// --allow-write=/var/run/docker.sock; fromEnv() adds --allow-env and --allow-read of ~/.docker.
// A TCP engine needs only --allow-net=host:port.

import type { ConfigFs, Env } from "../src/config/config-file.ts";
import { DEFAULT_UNIX_SOCKET, formatDockerHost, parseDockerHost, type DockerHost } from "../src/config/host.ts";
import { resolveEndpoint } from "../src/config/resolve.ts";
import { Docker as CoreDocker, type DockerOptions as CoreOptions } from "../src/docker.ts";
import { DockerUnsupportedError } from "../src/errors.ts";
import type { Transport } from "../src/transport.ts";
import { DenoTransport, type DenoTlsOptions } from "./deno-transport.ts";

export * from "../src/index.ts";
export { DenoTransport, type DenoEndpoint, type DenoTlsOptions, type DenoTransportOptions } from "./deno-transport.ts";

declare const Deno: {
  env: { get(name: string): string | undefined };
  readTextFileSync(path: string): string;
  build: { os: string };
};

export interface DenoDockerOptions extends Partial<CoreOptions> {
  /** Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`, `https://host:2376`. */
  host?: string;
  /** Shorthand for `host: "unix://<path>"`. */
  socketPath?: string;
  /** TLS material for https engines. Verification is always on. */
  tls?: DenoTlsOptions;
}

export interface DenoFromEnvOptions extends DenoDockerOptions {
  /** Use this Docker CLI context, as `docker --context NAME` does (wins over DOCKER_HOST). */
  context?: string;
  /** The environment to read; defaults to `Deno.env` (each variable is read only when needed). */
  env?: Env;
}

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to `unix:///var/run/docker.sock`. Use
   * `Docker.fromEnv()` to follow DOCKER_HOST and the Docker CLI's contexts.
   */
  constructor(options: DenoDockerOptions = {}) {
    const { host, socketPath, tls, transport, ...core } = options;
    const target: DockerHost = socketPath
      ? { kind: "unix", path: socketPath }
      : host
        ? parseDockerHost(host, { tls: tls !== undefined, source: "host" })
        : { kind: "unix", path: DEFAULT_UNIX_SOCKET };
    super({ ...core, transport: transport ?? denoTransport(target, tls) });
  }

  /**
   * Finds the engine as the Docker CLI does: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or the current context of ~/.docker/config.json, else
   * the default socket. DOCKER_API_VERSION pins the API version. Options given here win.
   */
  static fromEnv(options: DenoFromEnvOptions = {}): Docker {
    const { context, env = denoEnv(), ...rest } = options;
    const explicit = rest.host !== undefined || rest.socketPath !== undefined || rest.transport !== undefined;
    const home = env.HOME || env.USERPROFILE || "";
    const endpoint = resolveEndpoint(env, denoConfigFs(home), { context, platform: Deno.build.os === "windows" ? "win32" : Deno.build.os });
    const version = rest.version ?? endpoint.version;
    if (explicit) return new Docker({ ...rest, version });
    const tls = rest.tls ?? endpoint.tls;
    return new Docker({ ...rest, version, transport: denoTransport(endpoint.host, tls) });
  }
}

function denoTransport(host: DockerHost, tls: DenoTlsOptions | undefined): Transport {
  switch (host.kind) {
    case "unix":
      return new DenoTransport({ socketPath: host.path });
    case "tcp":
      return new DenoTransport({ protocol: host.protocol, hostname: host.hostname, port: host.port, tls });
    case "npipe":
    case "ssh":
      throw new DockerUnsupportedError(`${host.kind}:// engines are not supported on Deno yet (${formatDockerHost(host)})`);
  }
}

/**
 * The environment, read one variable at a time: `--allow-env` can then be narrowed to the
 * variables berth actually consults (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, HOME, ...).
 */
function denoEnv(): Env {
  return new Proxy({} as Env, {
    get: (_target, name) => (typeof name === "string" ? Deno.env.get(name) : undefined),
  });
}

/** Deno.readTextFileSync: synchronous, which `fromEnv()` needs to return a Docker. */
function denoConfigFs(home: string): ConfigFs {
  return {
    readText(path: string): string | undefined {
      try {
        return Deno.readTextFileSync(path);
      } catch (err) {
        const e = err as { name?: string; code?: string };
        if (e.name === "NotFound" || e.name === "NotADirectory" || e.code === "ENOENT" || e.code === "ENOTDIR") return undefined;
        throw err;
      }
    },
    home,
  };
}
