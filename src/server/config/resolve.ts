// Which engine to talk to, decided the way the Docker CLI decides it:
//
//   1. DOCKER_HOST (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH), unless a context is named explicitly;
//   2. the context named by DOCKER_CONTEXT, else by "currentContext" in config.json
//      (context store: <config dir>/contexts/meta/<sha256 of name>/meta.json, TLS material in
//      <config dir>/contexts/tls/<sha256 of name>/docker/{ca,cert,key}.pem);
//   3. the platform default (unix:///var/run/docker.sock, or the docker_engine pipe on Windows).
//
// DOCKER_API_VERSION pins the API version in every case. Pure: files come through ConfigFs.

import { DockerConfigError } from "../../errors/errors.ts";
import { configDir, joinPath, parseJsonFile, readFile, type ConfigFs, type Env } from "./config-file.ts";
import { DEFAULT_UNIX_SOCKET, parseDockerHost, type DockerHost } from "../../config/host.ts";
import { sha256Hex } from "./sha256.ts";

/** PEM text. Runtime-neutral: every adapter's TLS API takes PEM strings. */
export interface TlsMaterial {
  /** CA certificate(s) the engine's certificate must chain to. Absent: the system's trusted CAs. */
  ca?: string;
  /** Client certificate, for engines started with --tlsverify. */
  cert?: string;
  /** The client certificate's private key. */
  key?: string;
}

/** Where and how to connect, as resolved from the environment and the Docker CLI's files. */
export interface ResolvedEndpoint {
  host: DockerHost;
  /** TLS material for https engines (verification is always on; this only adds CA and client cert). */
  tls?: TlsMaterial;
  /** DOCKER_API_VERSION, when set. */
  version?: string;
  /** Where the address came from, for messages: `DOCKER_HOST`, `context "prod"`, `default`. */
  source: string;
  /** The context used: `default` unless a named context was. */
  context: string;
}

export interface ResolveOptions {
  /**
   * Use this context, as `docker --context NAME` does: it wins over DOCKER_HOST and DOCKER_CONTEXT.
   * `default` means the environment (DOCKER_HOST...) or the platform default.
   */
  context?: string;
  /** The runtime's platform (`win32` makes the default a named pipe). */
  platform?: string;
}

export const DEFAULT_NPIPE = "//./pipe/docker_engine";
export const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

/** Resolves the engine endpoint. Throws DockerConfigError naming the variable or file at fault. */
export function resolveEndpoint(env: Env, fs: ConfigFs, options: ResolveOptions = {}): ResolvedEndpoint {
  const version = apiVersionFromEnv(env);
  let name: string;
  let via: string;
  if (options.context !== undefined) {
    name = options.context;
    via = "the context argument";
  } else if (env.DOCKER_HOST) {
    // As in the CLI, DOCKER_HOST wins over DOCKER_CONTEXT and the current context.
    name = "default";
    via = "DOCKER_HOST";
  } else {
    ({ name, via } = currentContextName(env, fs));
  }
  const endpoint = name === "default" ? defaultEndpoint(env, fs, options.platform) : contextEndpoint(name, via, env, fs);
  if (version !== undefined) endpoint.version = version;
  return endpoint;
}

/**
 * The context `docker context ls` marks as current, DOCKER_HOST notwithstanding: DOCKER_CONTEXT,
 * else "currentContext" in config.json, else `default`. `via` says which, for messages.
 */
export function currentContextName(env: Env, fs: ConfigFs): { name: string; via: string } {
  if (env.DOCKER_CONTEXT) return { name: env.DOCKER_CONTEXT, via: "DOCKER_CONTEXT" };
  const path = joinPath(configDir(env, fs), "config.json");
  const text = readFile(fs, path, "the Docker config file");
  if (text === undefined || text.trim() === "") return { name: "default", via: "default" };
  // Only currentContext is read here: a problem elsewhere in the file (say, in "auths") must not
  // stop a connection; it is reported when credentials are looked up.
  const raw = parseJsonFile(text, path, "The Docker config file") as { currentContext?: unknown } | null;
  const current = raw && typeof raw === "object" ? raw.currentContext : undefined;
  if (current === undefined || current === null || current === "") return { name: "default", via: "default" };
  if (typeof current !== "string") throw new DockerConfigError(`The Docker config file ${path} is malformed: "currentContext" must be a string`);
  return { name: current, via: `"currentContext" in ${path}` };
}

/** DOCKER_API_VERSION, checked: `1.41` (a leading `v` is accepted). */
export function apiVersionFromEnv(env: Env): string | undefined {
  const value = env.DOCKER_API_VERSION;
  if (value === undefined || value === "") return undefined;
  if (!/^v?\d+\.\d+$/.test(value.trim())) {
    throw new DockerConfigError(`DOCKER_API_VERSION="${value}" is not an API version: expected a version like "1.41"`);
  }
  return value.trim().replace(/^v/, "");
}

export function platformDefaultHost(platform: string | undefined): DockerHost {
  return platform === "win32" ? { kind: "npipe", path: DEFAULT_NPIPE } : { kind: "unix", path: DEFAULT_UNIX_SOCKET };
}

/** The `default` context: DOCKER_HOST and its TLS variables, or the platform default. */
function defaultEndpoint(env: Env, fs: ConfigFs, platform: string | undefined): ResolvedEndpoint {
  const raw = env.DOCKER_HOST;
  if (!raw) return { host: platformDefaultHost(platform), source: "default", context: "default" };
  // The CLI turns TLS verification on for any non-empty DOCKER_TLS_VERIFY, "0" included. DOCKER_TLS
  // asks for TLS without verification there; berth still verifies (against ca.pem when present).
  const tlsVerify = Boolean(env.DOCKER_TLS_VERIFY);
  const wantTls = tlsVerify || Boolean(env.DOCKER_TLS);
  const host = parseDockerHost(raw, { tls: wantTls, source: "DOCKER_HOST" });
  const endpoint: ResolvedEndpoint = { host, source: "DOCKER_HOST", context: "default" };
  if (host.kind !== "tcp") return endpoint; // TLS variables do not apply to sockets, pipes or ssh.
  if (wantTls && host.protocol === "http") host.protocol = "https";
  if (host.protocol === "https" && (wantTls || env.DOCKER_CERT_PATH)) {
    const dir = env.DOCKER_CERT_PATH || configDir(env, fs);
    const tls = readTlsDir(fs, dir, env.DOCKER_CERT_PATH ? `DOCKER_CERT_PATH="${dir}"` : `the Docker config directory ${dir}`, Boolean(env.DOCKER_CERT_PATH));
    if (tls) endpoint.tls = tls;
  }
  return endpoint;
}

/** A named context from the CLI's context store. */
function contextEndpoint(name: string, via: string, env: Env, fs: ConfigFs): ResolvedEndpoint {
  const origin = via === "DOCKER_CONTEXT" ? `DOCKER_CONTEXT="${name}"` : `context "${name}" (from ${via})`;
  if (!CONTEXT_NAME.test(name)) {
    throw new DockerConfigError(`${origin} is not a valid context name: expected letters, digits and _.+- , starting with a letter or digit`);
  }
  const id = sha256Hex(name);
  const dir = configDir(env, fs);
  const metaPath = joinPath(dir, "contexts", "meta", id, "meta.json");
  const text = readFile(fs, metaPath, `the metadata of context "${name}"`);
  if (text === undefined) {
    throw new DockerConfigError(`${origin}: no such context (${metaPath} does not exist). List contexts with "docker context ls".`);
  }
  const meta = parseJsonFile(text, metaPath, `The metadata of context "${name}"`) as {
    Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
  } | null;
  const docker = meta && typeof meta === "object" ? meta.Endpoints?.docker : undefined;
  const hostValue = docker?.Host;
  if (typeof hostValue !== "string" || hostValue === "") {
    throw new DockerConfigError(`Context "${name}" has no Docker endpoint: ${metaPath} lacks Endpoints.docker.Host`);
  }
  if (docker?.SkipTLSVerify === true) {
    throw new DockerConfigError(
      `Context "${name}" turns TLS verification off (SkipTLSVerify in ${metaPath}); berth always verifies the engine. ` +
        `Give the context the engine's CA ("docker context update ${name} --docker ca=...") instead.`,
    );
  }
  const tlsDir = joinPath(dir, "contexts", "tls", id, "docker");
  const tls = readTlsDir(fs, tlsDir, `the TLS material of context "${name}" in ${tlsDir}`, false);
  const host = parseDockerHost(hostValue, { tls: tls !== undefined, source: `Context "${name}" Host` });
  // TLS material in a context means TLS, whatever the address's scheme says (as in the CLI).
  if (tls && host.kind === "tcp") host.protocol = "https";
  const endpoint: ResolvedEndpoint = { host, source: `context "${name}"`, context: name };
  if (tls && host.kind === "tcp") endpoint.tls = tls;
  return endpoint;
}

/**
 * ca.pem, cert.pem and key.pem of a directory, each optional as in the CLI (no ca.pem: the
 * system's CAs). A certificate without its key, or the reverse, is an error; so is an explicitly
 * named directory holding none of them. File contents are never quoted in messages.
 */
function readTlsDir(fs: ConfigFs, dir: string, what: string, required: boolean): TlsMaterial | undefined {
  const read = (file: string) => readFile(fs, joinPath(dir, file), "the TLS file");
  const ca = read("ca.pem");
  const cert = read("cert.pem");
  const key = read("key.pem");
  if (ca === undefined && cert === undefined && key === undefined) {
    if (required) throw new DockerConfigError(`${what} holds none of ca.pem, cert.pem, key.pem`);
    return undefined;
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new DockerConfigError(`${what} has ${cert === undefined ? "key.pem but no cert.pem" : "cert.pem but no key.pem"}: a client certificate needs both`);
  }
  const pem = (text: string | undefined, file: string, label: RegExp) => {
    if (text !== undefined && !label.test(text)) throw new DockerConfigError(`${joinPath(dir, file)} (${what}) is not a PEM file`);
  };
  pem(ca, "ca.pem", /-----BEGIN CERTIFICATE-----/);
  pem(cert, "cert.pem", /-----BEGIN CERTIFICATE-----/);
  pem(key, "key.pem", /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  const tls: TlsMaterial = {};
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return tls;
}
