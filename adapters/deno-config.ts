// Deno's side of configuration: the environment, synchronous reads of the Docker CLI's config,
// contexts and certificates, file access for directory builds, and credential helpers run with
// Deno.Command. Deno's own APIs throughout (no node: compatibility layer), declared locally.

import type { ContextFileSystem } from "../src/server/build/context.ts";
import type { ContextStoreFs } from "../src/server/config/contexts.ts";
import { DockerConfigError } from "../src/errors/errors.ts";
import { loadDockerConfig, type ConfigFs, type DockerConfigFile, type Env } from "../src/server/config/config-file.ts";
import {
  CredentialResolver,
  HELPER_OUTPUT_LIMIT,
  HELPER_STDERR_LIMIT,
  HELPER_TIMEOUT_MS,
  helperOutputTooLong,
  type HelperOutput,
  type RunHelper,
} from "../src/server/config/credentials.ts";
import { concatBytes } from "../src/streams/bytes.ts";

interface DenoFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  size: number;
  mode: number | null;
  mtime: Date | null;
}

interface DenoChild {
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  status: Promise<{ code: number; signal: string | null }>;
  kill(signal?: string): void;
}

declare const Deno: {
  env: { get(name: string): string | undefined };
  build: { os: string };
  readTextFileSync(path: string): string;
  writeTextFileSync(path: string, text: string, options?: { mode?: number }): void;
  mkdirSync(path: string, options: { recursive: true }): void;
  renameSync(from: string, to: string): void;
  removeSync(path: string, options: { recursive: true }): void;
  readDirSync(path: string): Iterable<{ name: string }>;
  readTextFile(path: string): Promise<string>;
  readDir(path: string): AsyncIterable<{ name: string }>;
  lstat(path: string): Promise<DenoFileInfo>;
  readLink(path: string): Promise<string>;
  open(path: string, options: { read: true }): Promise<{ readable: ReadableStream<Uint8Array> }>;
  Command: new (
    program: string,
    options: { args: string[]; stdin: "piped"; stdout: "piped"; stderr: "piped" },
  ) => { spawn(): DenoChild };
};

/** The variables `Docker.fromEnv()` may read, for `--allow-env=...`. */
export const DOCKER_ENV_VARIABLES = "DOCKER_HOST,DOCKER_CONTEXT,DOCKER_CONFIG,DOCKER_TLS_VERIFY,DOCKER_CERT_PATH,DOCKER_API_VERSION,HOME";

/**
 * The permission a Deno refusal names, when the failure is one: `NotCapable` (Deno 2) or
 * `PermissionDenied` (Deno 1) saying `Requires write access to "/path", run again with the
 * --allow-write flag`, looked for along the causes. Undefined for every other failure (an OS-level
 * EACCES is a PermissionDenied without that wording).
 */
export function missingPermission(err: unknown): { flag: string; target: string } | undefined {
  for (let e = err as { name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const text = String(e.message ?? "");
    const m = /Requires (\w+) access to "([^"]*)"/.exec(text);
    if (m && (e.name === "NotCapable" || e.name === "PermissionDenied" || /run again with the --allow-/.test(text))) {
      const flag = /run again with the (--allow-[a-z-]+)/.exec(text)?.[1] ?? `--allow-${m[1]}`;
      return { flag, target: m[2]! };
    }
  }
  return undefined;
}

/**
 * The environment, read one variable at a time: `--allow-env` can then be narrowed to the
 * variables berth consults (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, HOME, ...). Without the
 * permission a read throws a DockerConfigError that names the flag.
 */
export function denoEnv(): Env {
  return new Proxy({} as Env, {
    get: (_target, name) => {
      if (typeof name !== "string") return undefined;
      try {
        return Deno.env.get(name);
      } catch (err) {
        if (!missingPermission(err)) throw err;
        throw new DockerConfigError(
          `Deno refused to read the environment variable ${name}: run deno with --allow-env (or --allow-env=${DOCKER_ENV_VARIABLES}), or pass { env } or { host } to Docker.fromEnv`,
          { cause: err },
        );
      }
    },
  });
}

/** `win32` on Windows (what the endpoint resolution expects), else Deno's name for the OS. */
export function denoPlatform(): string {
  return Deno.build.os === "windows" ? "win32" : Deno.build.os;
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  return e?.name === "NotFound" || e?.name === "NotADirectory" || e?.code === "ENOENT" || e?.code === "ENOTDIR";
}

/** What to allow reading for `path`: the whole Docker config directory when it lies inside. */
function readScope(env: Env, path: string): string {
  try {
    const home = env.HOME || env.USERPROFILE || "";
    for (const dir of [env.DOCKER_CONFIG, home && `${home}/.docker`]) {
      if (dir && (path.startsWith(`${dir}/`) || path.startsWith(`${dir}\\`))) return dir;
    }
  } catch {
    // the environment is not readable either: the file alone
  }
  return path;
}

/** Deno.readTextFileSync: synchronous, which `fromEnv()` needs to return a Docker. */
export function denoConfigFs(env: Env): ConfigFs {
  return {
    readText(path: string): string | undefined {
      try {
        return Deno.readTextFileSync(path);
      } catch (err) {
        if (isMissing(err)) return undefined;
        if (missingPermission(err)) {
          throw new DockerConfigError(`Deno refused the read: run deno with --allow-read=${readScope(env, path)} (the Docker CLI's configuration)`, { cause: err });
        }
        throw err;
      }
    },
    // Read when needed, so making a Docker asks for no permission.
    get home(): string {
      return env.HOME || env.USERPROFILE || "";
    },
  };
}

/** File access for `docker.images.build({ directory })`. */
export const denoFileSystem: ContextFileSystem = {
  async readdir(path) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names;
  },
  async lstat(path) {
    const s = await Deno.lstat(path);
    const kind = s.isFile ? "file" : s.isDirectory ? "directory" : s.isSymlink ? "symlink" : "other";
    return { kind, size: s.size, mode: s.mode ?? (s.isDirectory ? 0o755 : 0o644), mtimeMs: s.mtime?.getTime() ?? 0 };
  },
  readlink: (path) => Deno.readLink(path),
  open(path) {
    // The file is opened on first read, so a failure surfaces where the bytes are consumed.
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        reader ??= (await Deno.open(path, { read: true })).readable.getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await reader?.cancel(reason);
      },
    });
  },
  async readText(path) {
    try {
      return await Deno.readTextFile(path);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  },
};

/**
 * Runs `docker-credential-<helper> get` with the server address on stdin, as the Docker CLI does
 * (needs `--allow-run=docker-credential-<helper>`). At most HELPER_OUTPUT_LIMIT of its output is
 * read: past that it is killed and the call rejects without quoting what it printed.
 */
export const runDenoCredentialHelper: RunHelper = async (helper, serverAddress) => {
  const program = `docker-credential-${helper}`;
  const child = new Deno.Command(program, { args: ["get"], stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => child.kill("SIGTERM"), HELPER_TIMEOUT_MS);
  try {
    const writer = child.stdin.getWriter();
    // A helper that exits without reading its input must not fail the lookup.
    await writer.write(new TextEncoder().encode(serverAddress)).catch(() => {});
    await writer.close().catch(() => {});
    const [stdout, stderr] = await Promise.all([
      readAtMost(child.stdout, HELPER_OUTPUT_LIMIT, () => child.kill("SIGKILL")),
      readAtMost(child.stderr, HELPER_STDERR_LIMIT),
    ]);
    const status = await child.status;
    if (stdout === undefined) throw helperOutputTooLong(program, serverAddress);
    const decoder = new TextDecoder();
    const result: HelperOutput = {
      exitCode: status.signal ? 128 : status.code,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr ?? new Uint8Array(0)) + (status.signal ? `\n(stopped by ${status.signal})` : ""),
    };
    return result;
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Reads a stream, keeping at most `limit` bytes. With `onExceeded`, more than that is an error:
 * it is called (the helper is stopped) and the result is undefined; without it, the rest is dropped.
 */
async function readAtMost(stream: ReadableStream<Uint8Array>, limit: number, onExceeded?: () => void): Promise<Uint8Array | undefined> {
  const pieces: Uint8Array[] = [];
  let kept = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(pieces, kept);
    if (onExceeded && kept + value.length > limit) {
      onExceeded();
      await reader.cancel().catch(() => {});
      return undefined;
    }
    const take = value.subarray(0, Math.max(0, limit - kept));
    if (take.length > 0) {
      pieces.push(take);
      kept += take.length;
    }
  }
}

/** Deno refused the access for want of a permission flag. */
function notPermitted(err: unknown): boolean {
  for (let e = err as { name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (e.name === "NotCapable") return true;
  }
  return false;
}

/**
 * The resolver `docker.credentials` uses on Deno: config.json under DOCKER_CONFIG or ~/.docker.
 * A program run without --allow-env/--allow-read for them simply has no stored credentials: a
 * pull of a public image must not need those permissions.
 */
export function denoCredentials(env: Env = denoEnv(), fs: ConfigFs = denoConfigFs(env)): CredentialResolver {
  return new CredentialResolver({
    loadConfig: () => {
      try {
        return loadDockerConfig(env, fs);
      } catch (err) {
        if (notPermitted(err)) return undefined;
        throw err;
      }
    },
    runHelper: runDenoCredentialHelper,
  });
}

/**
 * config.json under DOCKER_CONFIG or ~/.docker, for its proxies and detachKeys; read when first
 * needed. Without the permissions to read it, there is none (as for credentials).
 */
export function denoDockerConfig(env: Env = denoEnv(), fs: ConfigFs = denoConfigFs(env)): () => DockerConfigFile | undefined {
  return () => {
    try {
      return loadDockerConfig(env, fs)?.config;
    } catch (err) {
      if (notPermitted(err)) return undefined;
      throw err;
    }
  };
}

/**
 * The context store's files with Deno's own APIs: reads as denoConfigFs, and writes (which need
 * --allow-write for the Docker config directory; a refusal names the flag).
 */
export function denoContextStoreFs(env: Env): ContextStoreFs {
  const read = denoConfigFs(env);
  const permitted = <T>(path: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      const missing = missingPermission(err);
      if (missing) throw new DockerConfigError(`Deno refused to change the context store: run deno with ${missing.flag}=${readScope(env, path)}`, { cause: err });
      throw err;
    }
  };
  return {
    readText: (path) => read.readText(path),
    get home() {
      return read.home;
    },
    mkdir: (path) => permitted(path, () => Deno.mkdirSync(path, { recursive: true })),
    writeText: (path, text, mode) => permitted(path, () => Deno.writeTextFileSync(path, text, { mode })),
    rename: (from, to) => permitted(to, () => Deno.renameSync(from, to)),
    remove: (path) =>
      permitted(path, () => {
        try {
          Deno.removeSync(path, { recursive: true });
        } catch (err) {
          if (!isMissing(err)) throw err;
        }
      }),
    list: (path) =>
      permitted(path, () => {
        try {
          return Array.from(Deno.readDirSync(path), (entry) => entry.name);
        } catch (err) {
          if (isMissing(err)) return [];
          throw err;
        }
      }),
  };
}
