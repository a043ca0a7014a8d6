// The Docker CLI's context store, written as well as read: `docker context create / inspect /
// ls / rm / use` over the same files, so contexts made here work with the CLI and the reverse.
//
//   <config dir>/contexts/meta/<sha256 of name>/meta.json    {"Name","Metadata":{"Description"},"Endpoints":{"docker":{"Host","SkipTLSVerify"}}}
//   <config dir>/contexts/tls/<sha256 of name>/docker/{ca,cert,key}.pem
//   <config dir>/config.json                                  "currentContext"
//
// Pure: files come through ContextStoreFs, which server adapters implement.

import { DockerConfigError } from "../../errors/errors.ts";
import { configDir, joinPath, parseJsonFile, readFile, type ConfigFs, type Env } from "./config-file.ts";
import { formatDockerHost, parseDockerHost } from "../../config/host.ts";
import { CONTEXT_NAME, currentContextName, resolveEndpoint, type TlsMaterial } from "./resolve.ts";
import { sha256Hex } from "./sha256.ts";

/** What writing the store needs besides reading. Synchronous, as reading is. */
export interface ContextStoreFs extends ConfigFs {
  /** Creates a directory and its parents; an existing one is fine. */
  mkdir(path: string): void;
  /** Writes a file whole (`mode` for new files: 0o600 for keys and config.json). */
  writeText(path: string, text: string, mode?: number): void;
  /** Renames a file over another (the last step of an atomic write). */
  rename(from: string, to: string): void;
  /** Removes a file or a directory tree; a missing one is fine. */
  remove(path: string): void;
  /** The names in a directory; empty when it does not exist. */
  list(path: string): string[];
}

/** A context as `docker context inspect` describes it. */
export interface ContextInfo {
  name: string;
  description: string;
  /** The engine address (`ssh://deploy@box`, `tcp://10.0.0.5:2376`, `unix:///var/run/docker.sock`). */
  host: string;
  /** Which TLS files the context holds (CA, client certificate and key). */
  tls: { ca: boolean; cert: boolean; key: boolean };
  /** Whether it is the current context (DOCKER_CONTEXT, else config.json's `currentContext`). */
  current: boolean;
}

export interface ContextCreateOptions {
  /** The engine address, as in DOCKER_HOST; it may carry no password. */
  host: string;
  description?: string;
  /** PEM text stored with the context; a client certificate needs its key. */
  tls?: TlsMaterial;
}

const DEFAULT = "default";

/** meta.json as read: the CLI's fields, unchecked until used. */
interface ContextMeta {
  Name?: unknown;
  Metadata?: { Description?: unknown };
  Endpoints?: { docker?: { Host?: unknown } };
}

/**
 * The contexts under DOCKER_CONFIG (else `~/.docker`). Every method reads or writes the files
 * at once; nothing is cached, so the CLI's changes are seen and the CLI sees these.
 */
export class ContextStore {
  readonly #env: Env;
  readonly #fs: ContextStoreFs;
  readonly #platform: string | undefined;

  constructor(env: Env, fs: ContextStoreFs, options: { platform?: string } = {}) {
    this.#env = env;
    this.#fs = fs;
    this.#platform = options.platform;
  }

  /** The current context's name: DOCKER_CONTEXT, else config.json's `currentContext`, else `default`. */
  current(): string {
    return currentContextName(this.#env, this.#fs).name;
  }

  /** Every context, `default` first, then by name (`docker context ls`). */
  list(): ContextInfo[] {
    const names = this.#fs
      .list(this.#metaRoot())
      .map((id) => this.#readMeta(id)?.Name)
      .filter((name): name is string => typeof name === "string" && name !== DEFAULT)
      .sort();
    return [DEFAULT, ...names].map((name) => this.inspect(name));
  }

  /** One context (`docker context inspect NAME`); the current one without a name. */
  inspect(name: string = this.current()): ContextInfo {
    const current = this.current();
    if (name === DEFAULT) {
      // What `default` means here: DOCKER_HOST (and its TLS variables) or the platform default.
      const endpoint = resolveEndpoint({ ...this.#env, DOCKER_CONTEXT: undefined }, this.#fs, { context: DEFAULT, platform: this.#platform });
      const tls = { ca: endpoint.tls?.ca !== undefined, cert: endpoint.tls?.cert !== undefined, key: endpoint.tls?.key !== undefined };
      return { name, description: "Current DOCKER_HOST based configuration", host: formatDockerHost(endpoint.host), tls, current: current === DEFAULT };
    }
    checkName(name, "contexts.inspect()");
    const meta = this.#readMeta(sha256Hex(name));
    if (meta === undefined) throw noSuchContext(name, this.#metaPath(name));
    const docker = meta.Endpoints?.docker;
    const tlsDir = this.#tlsDir(name);
    const has = (file: string) => readFile(this.#fs, joinPath(tlsDir, file), "the TLS file") !== undefined;
    return {
      name,
      description: typeof meta.Metadata?.Description === "string" ? meta.Metadata.Description : "",
      host: typeof docker?.Host === "string" ? docker.Host : "",
      tls: { ca: has("ca.pem"), cert: has("cert.pem"), key: has("key.pem") },
      current: current === name,
    };
  }

  /** Creates a context (`docker context create NAME --docker host=...`). */
  create(name: string, options: ContextCreateOptions): ContextInfo {
    checkName(name, "contexts.create()");
    if (name === DEFAULT) throw new DockerConfigError(`contexts.create(): "default" is reserved: it always means DOCKER_HOST or the platform default`);
    if (typeof options !== "object" || options === null || typeof options.host !== "string") {
      throw new DockerConfigError(`contexts.create("${name}") needs { host }: the engine address, e.g. { host: "ssh://deploy@build-box" }`);
    }
    // Checked as DOCKER_HOST is: a password in it is refused, and shown as ***.
    parseDockerHost(options.host, { source: `contexts.create("${name}") host` });
    const tls = options.tls ?? {};
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      throw new DockerConfigError(`contexts.create("${name}"): a client certificate needs both tls.cert and tls.key`);
    }
    const metaPath = this.#metaPath(name);
    if (readFile(this.#fs, metaPath, `the metadata of context "${name}"`) !== undefined) {
      throw new DockerConfigError(`contexts.create(): context "${name}" already exists (${metaPath}); remove it first or pick another name`);
    }
    const tlsDir = this.#tlsDir(name);
    const files: Array<[string, string | undefined, number]> = [["ca.pem", tls.ca, 0o644], ["cert.pem", tls.cert, 0o644], ["key.pem", tls.key, 0o600]];
    if (files.some(([, text]) => text !== undefined)) this.#fs.mkdir(tlsDir);
    for (const [file, text, mode] of files) if (text !== undefined) this.#writeAtomic(joinPath(tlsDir, file), text, mode);
    const meta = {
      Name: name,
      Metadata: options.description ? { Description: options.description } : {},
      Endpoints: { docker: { Host: options.host, SkipTLSVerify: false } },
    };
    this.#fs.mkdir(metaPath.slice(0, metaPath.lastIndexOf("/")));
    this.#writeAtomic(metaPath, JSON.stringify(meta), 0o644);
    return this.inspect(name);
  }

  /**
   * Removes a context (`docker context rm`). The current one only with `force` (then `default`
   * becomes current, as the CLI does); `default` never.
   */
  remove(name: string, options: { force?: boolean } = {}): void {
    checkName(name, "contexts.remove()");
    if (name === DEFAULT) throw new DockerConfigError(`contexts.remove(): the "default" context cannot be removed`);
    const metaPath = this.#metaPath(name);
    if (readFile(this.#fs, metaPath, `the metadata of context "${name}"`) === undefined) throw noSuchContext(name, metaPath);
    if (this.current() === name) {
      if (!options.force) throw new DockerConfigError(`contexts.remove(): context "${name}" is in use (current context); pass { force: true } to remove it and return to "default"`);
      if (this.#configCurrent() === name) this.use(DEFAULT);
    }
    const id = sha256Hex(name);
    this.#fs.remove(joinPath(this.#metaRoot(), id));
    this.#fs.remove(joinPath(configDir(this.#env, this.#fs), "contexts", "tls", id));
  }

  /**
   * Makes a context current (`docker context use`): config.json's `currentContext`, the file's
   * other keys (credentials among them) kept as they are. DOCKER_CONTEXT and DOCKER_HOST, when
   * set, still win for programs that read them.
   */
  use(name: string): void {
    checkName(name, "contexts.use()");
    if (name !== DEFAULT && readFile(this.#fs, this.#metaPath(name), `the metadata of context "${name}"`) === undefined) {
      throw noSuchContext(name, this.#metaPath(name));
    }
    const dir = configDir(this.#env, this.#fs);
    const path = joinPath(dir, "config.json");
    const text = readFile(this.#fs, path, "the Docker config file");
    const raw = text === undefined || text.trim() === "" ? {} : parseJsonFile(text, path, "The Docker config file");
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new DockerConfigError(`The Docker config file ${path} is malformed: expected a JSON object`);
    const config = raw as Record<string, unknown>;
    if (name === DEFAULT) delete config.currentContext;
    else config.currentContext = name;
    this.#fs.mkdir(dir);
    // As the CLI writes it: tab-indented, owner-only (it holds credentials).
    this.#writeAtomic(path, JSON.stringify(config, null, "\t"), 0o600);
  }

  /** config.json's own `currentContext` (not DOCKER_CONTEXT). */
  #configCurrent(): string {
    return currentContextName({ ...this.#env, DOCKER_CONTEXT: undefined }, this.#fs).name;
  }

  #metaRoot(): string {
    return joinPath(configDir(this.#env, this.#fs), "contexts", "meta");
  }

  #metaPath(name: string): string {
    return joinPath(this.#metaRoot(), sha256Hex(name), "meta.json");
  }

  #tlsDir(name: string): string {
    return joinPath(configDir(this.#env, this.#fs), "contexts", "tls", sha256Hex(name), "docker");
  }

  #readMeta(id: string): ContextMeta | undefined {
    const path = joinPath(this.#metaRoot(), id, "meta.json");
    const text = readFile(this.#fs, path, "context metadata");
    if (text === undefined) return undefined;
    const meta = parseJsonFile(text, path, "Context metadata");
    return typeof meta === "object" && meta !== null ? (meta as ContextMeta) : undefined;
  }

  /** A temporary file renamed over the target: a reader never sees half a file. */
  #writeAtomic(path: string, text: string, mode: number): void {
    const temp = `${path}.${Math.random().toString(36).slice(2, 10)}.tmp`;
    try {
      this.#fs.writeText(temp, text, mode);
      this.#fs.rename(temp, path);
    } catch (err) {
      this.#fs.remove(temp);
      throw new DockerConfigError(`Cannot write ${path}: ${(err as Error)?.message ?? err}`, { cause: err });
    }
  }
}

function checkName(name: unknown, where: string): asserts name is string {
  if (typeof name !== "string" || !CONTEXT_NAME.test(name)) {
    throw new DockerConfigError(`${where}: ${JSON.stringify(name)} is not a context name: expected letters, digits and _.+- , starting with a letter or digit (at least 2 characters)`);
  }
}

function noSuchContext(name: string, path: string): DockerConfigError {
  return new DockerConfigError(`No such context "${name}" (${path} does not exist). List contexts with contexts.list() or "docker context ls".`);
}
