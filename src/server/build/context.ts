// Building a build context from a directory, over a small file-system interface each server
// runtime implements (the core reads no files itself).

import { DockerConfigError } from "../../errors/errors.ts";
import type { TarEntry } from "../../streams/tar.ts";
import { IgnoreMatcher, cleanPath, parseDockerignore } from "./dockerignore.ts";

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
  const root = cleanPath(dir);
  const rootStat = await fs.lstat(root).catch(() => undefined);
  if (!rootStat || rootStat.kind !== "directory") throw new DockerConfigError(`The build context "${dir}" is not a directory`);
  const ignoreText = await fs.readText(`${root}/.dockerignore`);
  const hasIgnoreFile = ignoreText !== undefined;
  const patterns = parseDockerignore(ignoreText ?? "");

  let dockerfile = options.dockerfile ?? "Dockerfile";
  let outside: { path: string; name: string } | undefined;
  if (dockerfile.startsWith("/")) {
    const abs = cleanPath(dockerfile);
    if (abs.startsWith(`${root}/`)) {
      dockerfile = abs.slice(root.length + 1);
    } else {
      const name = `.dockerfile.${randomHex(10)}`;
      outside = { path: abs, name };
      dockerfile = name;
    }
  } else {
    dockerfile = cleanPath(dockerfile);
  }

  // The CLI re-includes these, whatever .dockerignore says.
  const matcher = new IgnoreMatcher([...patterns, "!.dockerignore", ...(outside ? [] : [`!${dockerfile}`])]);

  async function* walk(rel: string): AsyncGenerator<TarEntry> {
    const names = (await fs.readdir(rel ? `${root}/${rel}` : root)).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = `${root}/${path}`;
      const stat = await fs.lstat(abs);
      const excluded = matcher.excludes(path);
      if (stat.kind === "directory") {
        if (excluded && !matcher.hasExceptions) continue;
        if (!excluded) yield { name: path, type: "directory", mode: stat.mode & 0o7777, mtime: stat.mtimeMs };
        yield* walk(path);
        continue;
      }
      if (excluded) continue;
      if (outside && path === ".dockerignore" && stat.kind === "file") {
        yield { name: path, data: withIgnored((await fs.readText(abs)) ?? "", outside.name), mode: stat.mode & 0o7777, mtime: stat.mtimeMs };
        continue;
      }
      if (stat.kind === "file") {
        yield { name: path, type: "file", size: stat.size, data: fs.open(abs), mode: stat.mode & 0o7777, mtime: stat.mtimeMs };
      } else if (stat.kind === "symlink") {
        yield { name: path, type: "symlink", linkname: await fs.readlink(abs), mode: stat.mode & 0o7777, mtime: stat.mtimeMs };
      }
    }
  }

  async function* all(): AsyncGenerator<TarEntry> {
    yield* walk("");
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

function withIgnored(dockerignore: string, name: string): string {
  return `${dockerignore}${dockerignore === "" || dockerignore.endsWith("\n") ? "" : "\n"}${name}\n`;
}

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}
