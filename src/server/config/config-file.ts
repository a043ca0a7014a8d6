// The Docker CLI's configuration directory (DOCKER_CONFIG, else ~/.docker) and its config.json.
// Reading goes through a small synchronous file interface an adapter provides, so the rules live
// here once for every runtime and are tested with a fake file system.

import { DockerConfigError } from "../../errors/errors.ts";

/** Environment variables, as the runtime exposes them. */
export type Env = Record<string, string | undefined>;

/** The file access resolution needs. Synchronous, because `Docker.fromEnv()` returns a Docker. */
export interface ConfigFs {
  /**
   * A file's text (UTF-8), or undefined when it does not exist. Other failures (permission
   * denied, a directory) throw; their message is shown to the user with the path.
   */
  readText(path: string): string | undefined;
  /** The user's home directory. */
  home: string;
}

/** What berth reads from config.json. Other keys are ignored. */
export interface DockerConfigFile {
  auths?: Record<string, ConfigAuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  currentContext?: string;
  /** Proxies for containers and builds, by engine address (`tcp://host:2376`) or `default`. */
  proxies?: Record<string, ProxyConfig>;
  /** The default key sequence that detaches from an attached container (`ctrl-p,ctrl-q`). */
  detachKeys?: string;
}

/** One `proxies` entry of config.json, as the Docker CLI spells it. */
export interface ProxyConfig {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
  ftpProxy?: string;
  allProxy?: string;
}

/** One `auths` entry: `auth` is base64 of `user:password`. */
export interface ConfigAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
}

export interface LoadedConfig {
  path: string;
  config: DockerConfigFile;
}

/** Joins path segments with `/`, which every runtime's file API accepts, Windows included. */
export function joinPath(...parts: string[]): string {
  let out = "";
  for (const part of parts) {
    if (part === "") continue;
    out = out === "" ? part : `${out.replace(/[\\/]+$/, "")}/${part.replace(/^[\\/]+/, "")}`;
  }
  return out;
}

/** DOCKER_CONFIG, else `<home>/.docker`. */
export function configDir(env: Env, fs: ConfigFs): string {
  return env.DOCKER_CONFIG ? env.DOCKER_CONFIG : joinPath(fs.home, ".docker");
}

/** Reads a file, turning a failure into a DockerConfigError that names the path and why. */
export function readFile(fs: ConfigFs, path: string, what: string): string | undefined {
  try {
    return fs.readText(path);
  } catch (err) {
    throw new DockerConfigError(`Cannot read ${what} ${path}: ${(err as Error)?.message ?? err}`, { cause: err });
  }
}

/**
 * Parses JSON without ever quoting the text in the error: config.json holds credentials, and
 * JSON.parse messages include a snippet of the input on some engines.
 */
export function parseJsonFile(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec(String((err as Error)?.message))?.[1];
    throw new DockerConfigError(`${what} ${path} is not valid JSON${at ? ` (error at character ${at})` : ""}`);
  }
}

/** Loads `<config dir>/config.json`; undefined when the file does not exist. */
export function loadDockerConfig(env: Env, fs: ConfigFs): LoadedConfig | undefined {
  const path = joinPath(configDir(env, fs), "config.json");
  const text = readFile(fs, path, "the Docker config file");
  if (text === undefined) return undefined;
  // The CLI treats an empty file as an empty configuration.
  if (text.trim() === "") return { path, config: {} };
  const raw = parseJsonFile(text, path, "The Docker config file");
  return { path, config: validateConfig(raw, path) };
}

function validateConfig(raw: unknown, path: string): DockerConfigFile {
  const fail = (why: string): never => {
    throw new DockerConfigError(`The Docker config file ${path} is malformed: ${why}`);
  };
  if (!isObject(raw)) return fail("expected a JSON object");
  const config: DockerConfigFile = {};
  if (raw.auths !== undefined && raw.auths !== null) {
    if (!isObject(raw.auths)) fail(`"auths" must be an object`);
    const auths: Record<string, ConfigAuthEntry> = {};
    for (const [key, entry] of Object.entries(raw.auths as Record<string, unknown>)) {
      if (entry === null) continue;
      // Values are never quoted: they are secrets.
      if (!isObject(entry)) fail(`"auths" entry "${key}" must be an object`);
      for (const field of ["auth", "username", "password", "identitytoken", "registrytoken", "email"] as const) {
        const v = (entry as Record<string, unknown>)[field];
        if (v !== undefined && v !== null && typeof v !== "string") fail(`"auths" entry "${key}" has a non-string "${field}"`);
      }
      auths[key] = entry as ConfigAuthEntry;
    }
    config.auths = auths;
  }
  if (raw.proxies !== undefined && raw.proxies !== null) {
    if (!isObject(raw.proxies)) fail(`"proxies" must be an object`);
    for (const [key, entry] of Object.entries(raw.proxies as Record<string, unknown>)) {
      // Values are never quoted: a proxy address may hold a password.
      if (!isObject(entry)) fail(`"proxies" entry "${key}" must be an object`);
      for (const field of ["httpProxy", "httpsProxy", "noProxy", "ftpProxy", "allProxy"] as const) {
        const v = (entry as Record<string, unknown>)[field];
        if (v !== undefined && v !== null && typeof v !== "string") fail(`"proxies" entry "${key}" has a non-string "${field}"`);
      }
    }
    config.proxies = raw.proxies as Record<string, ProxyConfig>;
  }
  for (const field of ["credsStore", "currentContext", "detachKeys"] as const) {
    const v = raw[field];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string") fail(`"${field}" must be a string`);
    config[field] = v as string;
  }
  if (raw.credHelpers !== undefined && raw.credHelpers !== null) {
    if (!isObject(raw.credHelpers)) fail(`"credHelpers" must be an object`);
    for (const [key, v] of Object.entries(raw.credHelpers as Record<string, unknown>)) {
      if (typeof v !== "string") fail(`"credHelpers" entry "${key}" must be a string`);
    }
    config.credHelpers = raw.credHelpers as Record<string, string>;
  }
  return config;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
