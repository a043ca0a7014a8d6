// The one entry of the server runtimes. Node, Bun and Deno each hand this factory what only they
// have (their environment, platform, file access, credential helpers and a transport per kind of
// address) and get back how `new Docker(options)`, `Docker.fromEnv()` and `Docker.fromContext()`
// turn options into the core's: the address rules, the environment's precedence and the context
// lookup live here once, so the runtimes cannot drift apart. Each adapter keeps only a thin
// `class Docker` that calls it (its own class, so `instanceof` and the documentation stay its own).

import { builderFromEnv } from "../buildkit/builder.ts";
import type { ContextFileSystem } from "./build/context.ts";
import type { CredentialSource } from "../request/engine.ts";
import type { ConfigFs, DockerConfigFile, Env } from "./config/config-file.ts";
import { ContextStore, type ContextStoreFs } from "./config/contexts.ts";
import { formatDockerHost, parseDockerHost, type DockerHost } from "../config/host.ts";
import { apiVersionFromEnv, currentContextName, platformDefaultHost, resolveEndpoint, type ResolvedEndpoint } from "./config/resolve.ts";
import type { DockerOptions } from "../docker.ts";
import type { TlsOptions } from "./endpoint.ts";
import { DockerUnsupportedError } from "../errors/errors.ts";
import type { Transport } from "../transport/transport.ts";
import type { SessionHost } from "../buildkit/session/host.ts";

/** The options every server runtime's Docker takes; a runtime may add its own (ssh, pooling). */
export interface EndpointOptions<Tls = TlsOptions> extends Partial<DockerOptions> {
  /** Engine address, as in DOCKER_HOST: `unix:///var/run/docker.sock`, `tcp://host:2375`, `https://host:2376`. */
  host?: string;
  /** Shorthand for `host: "unix://<path>"`. */
  socketPath?: string;
  /** TLS material (PEM) for https engines. Verification is always on; with `tls`, `tcp://` means https. */
  tls?: Tls;
}

/** What fromEnv and fromContext take besides: the variables to read. */
export interface EnvOption {
  env?: Env;
}

type Dial<O, H> = (host: H, options: O) => Transport;

/** What a runtime hands the entry. */
export interface ServerRuntime<O extends EndpointOptions<object>> {
  /** Its name in messages: "Bun". */
  name: string;
  /** The process environment (read lazily where the runtime asks permission for it). */
  env(): Env;
  /** `win32` makes the default address a named pipe. */
  platform(): string | undefined;
  /** The Docker CLI's files: config.json, contexts, certificates. */
  configFs(env: Env): ConfigFs;
  /** Registry credentials from config.json and its helpers; without `env`, the runtime's own. */
  credentials(env?: Env): CredentialSource;
  /** config.json (proxies, detachKeys), read once when first asked; without `env`, the runtime's own. */
  dockerConfig(env?: Env): () => DockerConfigFile | undefined;
  /** The Docker CLI's files, writable, for `Docker.contexts()`. */
  contextStoreFs(env: Env): ContextStoreFs;
  /** File access for builds from a directory. */
  fileSystem: ContextFileSystem;
  /**
   * What serves BuildKit build sessions (HTTP/2 on the hijacked connection), where the runtime can;
   * `env` (from fromEnv/fromContext) is where `ssh: true` finds SSH_AUTH_SOCK and `{ env }` secrets
   * their values, else the runtime's own.
   */
  sessionHost?(env?: Env): SessionHost;
  /** A transport per kind of address; a kind left out is refused with DockerUnsupportedError. */
  unix: Dial<O, { path: string }>;
  tcp: Dial<O, Extract<DockerHost, { kind: "tcp" }>>;
  npipe?: Dial<O, Extract<DockerHost, { kind: "npipe" }>>;
  ssh?: Dial<O, Extract<DockerHost, { kind: "ssh" }>>;
}

export interface ServerEntry<O> {
  /** The core's options for `new Docker(options)`: the transport made unless one is given. */
  options(options: O): DockerOptions;
  /**
   * The options for the engine the Docker CLI would use: an explicit transport or address wins,
   * with the environment's version, builder and credentials; else DOCKER_HOST, else the current
   * context, else the platform default.
   */
  fromEnv(options: O & EnvOption): O;
  /** The options for a named context (or the current one). */
  fromContext(name: string | undefined, options: O & EnvOption): O;
  /** The transport for a resolved address. */
  transport(host: DockerHost, options: O): Transport;
  /** The Docker CLI's contexts, in its own files. */
  contexts(options: EnvOption): ContextStore;
}

/**
 * The HTTP/1.1 upgrade, loaded on the first attach, exec with stdin or build session: server
 * runtimes have raw sockets (the browser entry never references it, so its bundles leave it out).
 */
const loadUpgrade = () => import("../transport/http/upgrade.ts").then((m) => m.upgrade);

/** The BuildKit session and the directory walker, loaded on the first build that needs them (likewise server-only). */
const loadBuildSupport = () => import("./build/support.ts");

export function serverEntry<O extends EndpointOptions<object>>(runtime: ServerRuntime<O>): ServerEntry<O> {
  const transport = (host: DockerHost, options: O): Transport => {
    switch (host.kind) {
      case "unix":
        return runtime.unix(host, options);
      case "tcp":
        return runtime.tcp(host, options);
      case "npipe":
        if (runtime.npipe) return runtime.npipe(host, options);
        break;
      case "ssh":
        if (runtime.ssh) return runtime.ssh(host, options);
        break;
    }
    throw new DockerUnsupportedError(`${host.kind}:// engines are not supported on ${runtime.name} yet (${formatDockerHost(host)})`);
  };

  const hostOf = ({ host, socketPath, tls }: O): DockerHost => {
    if (socketPath !== undefined) return { kind: "unix", path: socketPath };
    if (host === undefined) return platformDefaultHost(runtime.platform());
    const parsed = parseDockerHost(host, { tls: tls !== undefined, source: "host" });
    // TLS material given means TLS: an http:// address must not quietly drop it.
    if (tls !== undefined && parsed.kind === "tcp") parsed.protocol = "https";
    return parsed;
  };

  const fromEndpoint = (endpoint: ResolvedEndpoint, env: Env, options: O): O => ({
    ...options,
    version: options.version ?? endpoint.version,
    builder: options.builder ?? builderFromEnv(env),
    credentials: options.credentials ?? runtime.credentials(env),
    dockerConfig: options.dockerConfig ?? runtime.dockerConfig(env),
    sessionHost: options.sessionHost ?? runtime.sessionHost?.(env),
    transport: transport(endpoint.host, { ...options, tls: options.tls ?? endpoint.tls }),
  });

  return {
    transport,
    options(options) {
      const { host: _host, socketPath: _socketPath, tls: _tls, transport: given, credentials, fileSystem, ...core } = options;
      return {
        ...core,
        transport: given ?? transport(hostOf(options), options),
        credentials: credentials ?? runtime.credentials(),
        dockerConfig: core.dockerConfig ?? runtime.dockerConfig(),
        fileSystem: fileSystem ?? runtime.fileSystem,
        sessionHost: core.sessionHost ?? runtime.sessionHost?.(),
        upgrade: core.upgrade ?? loadUpgrade,
        buildSupport: core.buildSupport ?? loadBuildSupport,
      };
    },
    fromEnv(options) {
      const { env = runtime.env(), ...rest } = options;
      const own = rest as unknown as O;
      if (own.transport || own.host !== undefined || own.socketPath !== undefined) {
        return { version: apiVersionFromEnv(env), builder: builderFromEnv(env), credentials: runtime.credentials(env), dockerConfig: runtime.dockerConfig(env), sessionHost: runtime.sessionHost?.(env), ...own };
      }
      return fromEndpoint(resolveEndpoint(env, runtime.configFs(env), { platform: runtime.platform() }), env, own);
    },
    contexts({ env = runtime.env() }) {
      return new ContextStore(env, runtime.contextStoreFs(env), { platform: runtime.platform() });
    },
    fromContext(name, options) {
      const { env = runtime.env(), ...rest } = options;
      const fs = runtime.configFs(env);
      const context = name ?? currentContextName(env, fs).name;
      return fromEndpoint(resolveEndpoint(env, fs, { context, platform: runtime.platform() }), env, rest as unknown as O);
    },
  };
}
