// Building a build context from a directory, over a small file-system interface each server
// runtime implements (the core reads no files itself): packed as a tar, or described for the
// build session's file sync, which reads the files as the engine asks for them.

import { DockerConfigError } from "../../errors/errors.ts";
import type { TarEntry } from "../../streams/tar.ts";
import { cleanPath, parseDockerignore } from "./dockerignore.ts";
import { patternFilter, walkTree } from "./walk.ts";
import type { SyncedDir } from "../../buildkit/filesync/service.ts";

/** What the context packer needs from a file system. Paths are absolute, `/`-separated. */
export interface ContextFileSystem {
  /** Directory entries (names only). */
  readdir(path: string): Promise<string[]>;
  /** lstat: does not follow symlinks. */
  lstat(path: string): Promise<{ kind: "file" | "directory" | "symlink" | "other"; size: number; mode: number; mtimeMs: number }>;
  readlink(path: string): Promise<string>;
  /** The file's bytes as a stream. */
  open(path: string): ReadableStream<Uint8Array>;
  /** Reads a small text file; undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
}

export interface ContextOptions {
  /** Path of the Dockerfile: relative to the context, or absolute (then it may lie outside). Default "Dockerfile". */
  dockerfile?: string;
}

export interface PackedContext {
  entries: AsyncIterable<TarEntry>;
  /** The `dockerfile` parameter to send: the name of the Dockerfile inside the context. */
  dockerfile: string;
}

/**
 * Walks `dir` and yields tar entries, honouring `.dockerignore` like the Docker CLI: the
 * Dockerfile and .dockerignore are always sent even when ignored, and a Dockerfile outside the
 * context is added under a generated name.
 */
export async function packContext(fs: ContextFileSystem, dir: string, options: ContextOptions = {}): Promise<PackedContext> {
  const root = await contextRoot(fs, dir);
  const ignoreText = await fs.readText(`${root}/.dockerignore`);
  const hasIgnoreFile = ignoreText !== undefined;
  const patterns = parseDockerignore(ignoreText ?? "");

  const located = locateDockerfile(root, options.dockerfile);
  let dockerfile = located.inside ?? "";
  let outside: { path: string; name: string } | undefined;
  if (located.outside !== undefined) {
    const name = `.dockerfile.${randomHex(10)}`;
    outside = { path: located.outside, name };
    dockerfile = name;
  }

  // The CLI re-includes these, whatever .dockerignore says.
  const filter = patternFilter({ exclude: patterns, always: [".dockerignore", ...(outside ? [] : [dockerfile])] });

  async function* walk(): AsyncGenerator<TarEntry> {
    for await (const entry of walkTree(fs, root, filter)) {
      const { path, mode, mtimeMs: mtime } = entry;
      const abs = `${root}/${path}`;
      if (entry.kind === "directory") yield { name: path, type: "directory", mode: mode & 0o7777, mtime };
      else if (entry.kind === "symlink") yield { name: path, type: "symlink", linkname: entry.linkname!, mode: mode & 0o7777, mtime };
      else if (outside && path === ".dockerignore") yield { name: path, data: withIgnored((await fs.readText(abs)) ?? "", outside.name), mode: mode & 0o7777, mtime };
      else yield { name: path, type: "file", size: entry.size, data: fs.open(abs), mode: mode & 0o7777, mtime };
    }
  }

  async function* all(): AsyncGenerator<TarEntry> {
    yield* walk();
    if (outside) {
      const text = await fs.readText(outside.path);
      if (text === undefined) throw new DockerConfigError(`The Dockerfile "${outside.path}" cannot be read`);
      yield { name: outside.name, data: text, mode: 0o644 };
      // As the Docker CLI does: the engine reads the Dockerfile, then drops what .dockerignore
      // names, so the generated name never reaches the image through `COPY . ...`.
      if (!hasIgnoreFile) yield { name: ".dockerignore", data: withIgnored("", outside.name), mode: 0o644 };
    }
  }

  return { entries: all(), dockerfile };
}

/** The context's root, cleaned; refused unless it is a directory. */
async function contextRoot(fs: ContextFileSystem, dir: string): Promise<string> {
  const root = cleanPath(dir);
  const rootStat = await fs.lstat(root).catch(() => undefined);
  if (!rootStat || rootStat.kind !== "directory") throw new DockerConfigError(`The build context "${dir}" is not a directory`);
  return root;
}

/** The Dockerfile option as a path inside the context, or an absolute path outside it. */
function locateDockerfile(root: string, dockerfile = "Dockerfile"): { inside?: string; outside?: string } {
  if (!dockerfile.startsWith("/")) return { inside: cleanPath(dockerfile) };
  const abs = cleanPath(dockerfile);
  return abs.startsWith(`${root}/`) ? { inside: abs.slice(root.length + 1) } : { outside: abs };
}

/** A directory context served through the build session's file sync instead of a tar. */
export interface SyncedContext {
  /** The synced directories by the names the engine asks for. */
  dirs: Map<string, SyncedDir>;
  /** The `dockerfile` parameter: the Dockerfile's name in the `dockerfile` directory. */
  dockerfile: string;
  /** The session's shared key: the same directory keeps the engine's copy of it across builds. */
  sharedKey: string;
}

/**
 * `context` is the directory with its .dockerignore applied (the .dockerignore itself is always
 * there: the engine reads it); `dockerfile` is the directory holding the Dockerfile, inside the
 * context or not, as the Docker CLI sets them up, but offering the Dockerfile alone.
 */
export async function syncContext(fs: ContextFileSystem, dir: string, options: ContextOptions = {}): Promise<SyncedContext> {
  const root = await contextRoot(fs, dir);
  const exclude = parseDockerignore((await fs.readText(`${root}/.dockerignore`)) ?? "");
  const located = locateDockerfile(root, options.dockerfile);
  const path = located.outside ?? `${root}/${located.inside}`;
  const slash = path.lastIndexOf("/");
  const dockerfileDir = slash === 0 ? "/" : path.slice(0, slash);
  const name = path.slice(slash + 1);
  const dirs = new Map<string, SyncedDir>([
    ["context", { root, exclude, always: [".dockerignore"] }],
    // The engine asks for the Dockerfile and its own .dockerignore only: nothing else of a
    // directory outside the context (a home directory, /tmp) is ever offered.
    ["dockerfile", { root: dockerfileDir, only: [name, `${name}.dockerignore`] }],
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`berth:${root}`)));
  return { dirs, dockerfile: name, sharedKey: Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("") };
}

function withIgnored(dockerignore: string, name: string): string {
  return `${dockerignore}${dockerignore === "" || dockerignore.endsWith("\n") ? "" : "\n"}${name}\n`;
}

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}
