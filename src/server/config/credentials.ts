// Registry credentials from the Docker CLI's config.json, looked up as the CLI does:
//   - a registry listed in "credHelpers" asks that helper (docker-credential-<name> get);
//   - else, when "credsStore" is set, that helper;
//   - else the "auths" entry (base64 "user:password" in `auth`, or an identity token).
// Keys are registry hosts; Docker Hub's is https://index.docker.io/v1/. Helpers run through a
// function the adapter supplies, so this file stays runtime-neutral.
//
// Nothing here keeps credentials: config.json is read at each lookup (a `docker login` in between
// is seen) and the resolver holds only functions, so inspecting or serialising it shows nothing.

import { DockerConfigError } from "../../errors/errors.ts";
import { decodeUtf8 } from "../../streams/bytes.ts";
import { decodeBase64 } from "../../config/base64.ts";
import type { ConfigAuthEntry, LoadedConfig } from "./config-file.ts";
import { hostOfServerAddress, registryAuthKey, registryOfImage, type RegistryAuth } from "../../config/registry-auth.ts";

/** What a credential helper printed and how it exited. */
/** Most a helper may take before it is stopped: a helper waiting on a GUI prompt must not hang a pull. */
export const HELPER_TIMEOUT_MS = 60_000;
/** Most a helper may print: a credential is a few KiB; more is a broken or hostile helper. */
export const HELPER_OUTPUT_LIMIT = 1024 * 1024;
/** What is kept of a helper's stderr (shown only when it fails). */
export const HELPER_STDERR_LIMIT = 4096;

/** A helper printed more than HELPER_OUTPUT_LIMIT: nothing it printed is quoted. */
export function helperOutputTooLong(program: string, serverAddress: string): DockerConfigError {
  return new DockerConfigError(`The credential helper ${program} printed more than ${HELPER_OUTPUT_LIMIT / 1024 / 1024} MiB for ${serverAddress}; it was stopped and its output discarded`);
}

export interface HelperOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `docker-credential-<helper> get` with `serverAddress` on stdin. Supplied by the adapter
 * (Node: child_process). Rejects when the program cannot be run at all, or with a
 * DockerConfigError when its output is past the runner's limit (Node's: 1 MiB).
 */
export type RunHelper = (helper: string, serverAddress: string) => Promise<HelperOutput>;

export interface CredentialResolverOptions {
  /** Loads config.json afresh; undefined when there is none. */
  loadConfig?: () => LoadedConfig | undefined;
  /** Runs credential helpers; without it, helper-backed registries have no credentials. */
  runHelper?: RunHelper;
  /** Credentials given in code, by registry; they win over config.json. */
  auths?: Record<string, RegistryAuth>;
}

/** Helpers answer this (on stdout, exit code 1) when they hold nothing for the registry. */
const NOT_FOUND = "credentials not found in native keychain";
/** The Username a helper returns when Secret is an identity token. */
const TOKEN_USERNAME = "<token>";

/**
 * Finds the credentials for an image or a registry. `docker.credentials` is one; pull, push,
 * build and service create use it when no credentials are given explicitly.
 */
export class CredentialResolver {
  readonly #loadConfig: () => LoadedConfig | undefined;
  readonly #runHelper: RunHelper | undefined;
  readonly #auths: Map<string, RegistryAuth>;

  constructor(options: CredentialResolverOptions = {}) {
    this.#loadConfig = options.loadConfig ?? (() => undefined);
    this.#runHelper = options.runHelper;
    this.#auths = new Map();
    for (const [registry, auth] of Object.entries(options.auths ?? {})) this.#auths.set(registryAuthKey(registry), auth);
  }

  /** A resolver that never finds anything (the core's default: it reads no files). */
  static none(): CredentialResolver {
    return new CredentialResolver();
  }

  /** A resolver with fixed credentials by registry: `{ "registry.example.com": { username, password } }`. */
  static of(auths: Record<string, RegistryAuth>): CredentialResolver {
    return new CredentialResolver({ auths });
  }

  /** Credentials for the registry `imageRef` lives in (`busybox` → Docker Hub). */
  forImage(imageRef: string): Promise<RegistryAuth | undefined> {
    return this.forRegistry(registryOfImage(imageRef));
  }

  /**
   * Credentials for a registry, given as in an image name (`docker.io`, `127.0.0.1:5000`) or as a
   * server address (`https://index.docker.io/v1/`). Undefined when none are configured.
   */
  async forRegistry(registry: string): Promise<RegistryAuth | undefined> {
    const key = registryAuthKey(registry);
    const given = this.#auths.get(key);
    if (given) return { serveraddress: key, ...given };
    const loaded = this.#loadConfig();
    if (!loaded) return undefined;
    const helper = helperFor(loaded, key);
    if (helper !== undefined) {
      const fromHelper = await this.#ask(helper, key);
      if (fromHelper) return fromHelper;
      // Like the CLI, a helper that knows nothing leaves the file's entry (if any) to answer.
    }
    return fromAuths(loaded, key);
  }

  /**
   * Every registry's credentials (for `X-Registry-Config` of a build, which may pull from any of
   * them): the `auths` entries and whatever the credsStore and credHelpers hold for them.
   */
  async all(): Promise<Record<string, RegistryAuth>> {
    const out: Record<string, RegistryAuth> = {};
    const loaded = this.#loadConfig();
    const keys = new Set<string>(this.#auths.keys());
    for (const key of Object.keys(loaded?.config.auths ?? {})) keys.add(registryAuthKey(key));
    for (const key of Object.keys(loaded?.config.credHelpers ?? {})) keys.add(registryAuthKey(key));
    for (const key of keys) {
      const auth = await this.forRegistry(key);
      if (auth) out[key] = auth;
    }
    return out;
  }

  async #ask(helper: string, key: string): Promise<RegistryAuth | undefined> {
    const program = `docker-credential-${helper}`;
    if (!this.#runHelper) return undefined;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(helper)) {
      throw new DockerConfigError(`The credential helper name "${helper}" is not valid (it becomes the program ${program})`);
    }
    let out: HelperOutput;
    try {
      out = await this.#runHelper(helper, key);
    } catch (err) {
      if (err instanceof DockerConfigError) throw err; // the runner's own verdict (output too long)
      throw new DockerConfigError(`Cannot run the credential helper ${program} for ${key}: ${(err as Error)?.message ?? err}`, { cause: err });
    }
    if (out.exitCode !== 0) {
      // Helpers print their errors on stdout; only a failed run's output is ever shown.
      const said = (out.stdout.trim() || out.stderr.trim()).slice(0, 300);
      if (said.includes(NOT_FOUND)) return undefined;
      throw new DockerConfigError(`The credential helper ${program} failed for ${key} (exit code ${out.exitCode})${said ? `: ${said}` : ""}`);
    }
    let parsed: { ServerURL?: unknown; Username?: unknown; Secret?: unknown };
    try {
      parsed = JSON.parse(out.stdout);
    } catch {
      throw new DockerConfigError(`The credential helper ${program} answered for ${key} with something other than JSON`);
    }
    const username = typeof parsed?.Username === "string" ? parsed.Username : "";
    const secret = typeof parsed?.Secret === "string" ? parsed.Secret : "";
    if (!username && !secret) return undefined;
    const serveraddress = typeof parsed.ServerURL === "string" && parsed.ServerURL ? parsed.ServerURL : key;
    return username === TOKEN_USERNAME ? { serveraddress, identitytoken: secret } : { serveraddress, username, password: secret };
  }
}

/** The helper for a registry: its credHelpers entry, else credsStore. */
function helperFor({ config }: LoadedConfig, key: string): string | undefined {
  const helpers = config.credHelpers ?? {};
  for (const [registry, helper] of Object.entries(helpers)) {
    if (registry === key || registryAuthKey(registry) === key) return helper || undefined;
  }
  return config.credsStore || undefined;
}

/** The `auths` entry for a key: exact match first, then any entry for the same host (CLI rule). */
function fromAuths({ path, config }: LoadedConfig, key: string): RegistryAuth | undefined {
  const auths = config.auths ?? {};
  let found: [string, ConfigAuthEntry] | undefined;
  if (auths[key]) found = [key, auths[key]!];
  else {
    const host = hostOfServerAddress(key);
    for (const [k, entry] of Object.entries(auths)) {
      if (registryAuthKey(k) === key || hostOfServerAddress(k) === host) {
        found = [k, entry];
        break;
      }
    }
  }
  if (!found) return undefined;
  const [entryKey, entry] = found;
  const auth: RegistryAuth = { serveraddress: key };
  if (entry.auth) {
    const bytes = decodeBase64(entry.auth);
    const text = bytes && decodeUtf8(bytes);
    const colon = text ? text.indexOf(":") : -1;
    // The value is a secret: the message names the entry, never its content.
    if (!text || colon < 0) throw new DockerConfigError(`The "auth" of "auths" entry "${entryKey}" in ${path} is not base64 of "user:password"`);
    auth.username = text.slice(0, colon);
    auth.password = text.slice(colon + 1);
  } else {
    if (entry.username) auth.username = entry.username;
    if (entry.password) auth.password = entry.password;
  }
  if (entry.identitytoken) auth.identitytoken = entry.identitytoken;
  if (entry.registrytoken) auth.registrytoken = entry.registrytoken;
  if (entry.email) auth.email = entry.email;
  // `{}` is what `docker login` leaves in auths when a credsStore holds the secret.
  if (!auth.username && !auth.password && !auth.identitytoken && !auth.registrytoken) return undefined;
  return auth;
}
