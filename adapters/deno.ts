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

import type { Env } from "../src/config/config-file.ts";
import { formatDockerHost, parseDockerHost, type DockerHost } from "../src/config/host.ts";
import { apiVersionFromEnv, currentContextName, platformDefaultHost, resolveEndpoint, type ResolvedEndpoint } from "../src/config/resolve.ts";
import { builderFromEnv } from "../src/buildkit/builder.ts";
import { Docker as CoreDocker, type DockerOptions as CoreOptions } from "../src/docker.ts";
import { DockerUnsupportedError } from "../src/errors.ts";
import type { Transport } from "../src/transport.ts";
import { lazySessionHost } from "./session-host.ts";
import { denoConfigFs, denoCredentials, denoEnv, denoFileSystem, denoPlatform } from "./deno-config.ts";
import { DenoTransport, type DenoTlsOptions } from "./deno-transport.ts";

export * from "../src/index.ts";
export * from "../src/server.ts";
export { DenoTransport, type DenoEndpoint, type DenoTlsOptions, type DenoTransportOptions } from "./deno-transport.ts";
export { denoConfigFs, denoCredentials, denoEnv, denoFileSystem, runDenoCredentialHelper } from "./deno-config.ts";

export interface DenoDockerOptions extends Partial<CoreOptions> {
  /** Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`, `https://host:2376`. */
  host?: string;
  /** Shorthand for `host: "unix://<path>"`. */
  socketPath?: string;
  /** TLS material (PEM) for https engines. Verification is always on; with `tls`, `tcp://` means https. */
  tls?: DenoTlsOptions;
}

export interface DenoEnvOptions extends DenoDockerOptions {
  /** Variables to read instead of `Deno.env` (DOCKER_HOST, DOCKER_CONFIG, ...). */
  env?: Env;
}

export class Docker extends CoreDocker {
  /**
   * Connects to `host`/`socketPath`, or else to `unix:///var/run/docker.sock`. Use
   * `Docker.fromEnv()` to follow DOCKER_HOST and contexts. Registry credentials come from the
   * Docker config (`~/.docker/config.json`, when readable) unless `credentials` is given.
   */
  constructor(options: DenoDockerOptions = {}) {
    const { host, socketPath, tls, transport, credentials, ...core } = options;
    super({
      ...core,
      transport: transport ?? denoTransport(hostOf(host, socketPath, tls), tls),
      credentials: credentials ?? denoCredentials(),
      fileSystem: core.fileSystem ?? denoFileSystem,
      // node:http2 serves a given socket on this runtime too (docs/builds.md, "Build sessions").
      sessionHost: core.sessionHost ?? lazySessionHost((name) => denoEnv()[name]),
    });
  }

  /**
   * Connects to the engine the Docker CLI would use: DOCKER_HOST (with DOCKER_TLS_VERIFY and
   * DOCKER_CERT_PATH), else DOCKER_CONTEXT or config.json's current context, else the default
   * socket. DOCKER_API_VERSION pins the API version; DOCKER_CONFIG moves the config directory.
   * Options given here win over the environment. Throws DockerConfigError for malformed values.
   */
  static fromEnv(options: DenoEnvOptions = {}): Docker {
    const { env = denoEnv(), ...rest } = options;
    if (rest.transport || rest.host !== undefined || rest.socketPath !== undefined) {
      return new Docker({ version: apiVersionFromEnv(env), builder: builderFromEnv(env), credentials: denoCredentials(env), ...rest });
    }
    return fromEndpoint(resolveEndpoint(env, denoConfigFs(env), { platform: denoPlatform() }), env, rest);
  }

  /**
   * Connects through a Docker CLI context (`docker context ls`), like `docker --context NAME`:
   * the context wins over DOCKER_HOST. Without a name, the current context (DOCKER_CONTEXT, else
   * config.json's `currentContext`).
   */
  static fromContext(name?: string, options: DenoEnvOptions = {}): Docker {
    const { env = denoEnv(), ...rest } = options;
    const fs = denoConfigFs(env);
    const context = name ?? currentContextName(env, fs).name;
    return fromEndpoint(resolveEndpoint(env, fs, { context, platform: denoPlatform() }), env, rest);
  }
}

function fromEndpoint(endpoint: ResolvedEndpoint, env: Env, options: DenoDockerOptions): Docker {
  const tls = options.tls ?? endpoint.tls;
  return new Docker({
    ...options,
    version: options.version ?? endpoint.version,
    builder: options.builder ?? builderFromEnv(env),
    credentials: options.credentials ?? denoCredentials(env),
    transport: denoTransport(endpoint.host, tls),
  });
}

function hostOf(host: string | undefined, socketPath: string | undefined, tls: DenoTlsOptions | undefined): DockerHost {
  if (socketPath !== undefined) return { kind: "unix", path: socketPath };
  if (host === undefined) return platformDefaultHost(denoPlatform());
  const parsed = parseDockerHost(host, { tls: tls !== undefined, source: "host" });
  // TLS material given means TLS: an http:// address must not quietly drop it.
  if (tls !== undefined && parsed.kind === "tcp") parsed.protocol = "https";
  return parsed;
}

/** The transport for a resolved address. */
export function denoTransport(host: DockerHost, tls?: DenoTlsOptions): Transport {
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
