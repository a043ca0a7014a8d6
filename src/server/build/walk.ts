// A directory walked the way fsutil walks it for BuildKit's file sync: depth first, each
// directory's names in byte order of their UTF-8 (the engine's receiver refuses anything out of
// that order), and a directory that is itself left out still sent before a descendant that is
// kept (the receiver wants every parent before its children). Over the ContextFileSystem seam,
// so the core reads no files itself; an excluded path is decided on its name alone, so a file
// left out is never even lstat'ed.

import type { ContextFileSystem } from "./context.ts";
import { IgnoreMatcher } from "./dockerignore.ts";

export interface WalkEntry {
  /** Relative to the root, `/`-separated. */
  path: string;
  kind: "file" | "directory" | "symlink";
  size: number;
  /** st_mode as lstat gave it. */
  mode: number;
  mtimeMs: number;
  linkname?: string;
}

/** Which paths a walk keeps. */
export interface WalkFilter {
  /** Whether the path itself is sent (a left-out directory may still hold kept paths). */
  keeps(path: string): boolean;
  /** Whether nothing under this left-out directory can be kept, so it is not walked at all. */
  prunes(dir: string): boolean;
}

/** A path the walk could not read (gone since its directory was listed, unreadable): its reason in `cause`. */
export class WalkError extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`cannot read ${path}: ${describe(cause)}`, { cause });
    this.name = "WalkError";
  }
}

/** What went wrong reading a file, in words: node:fs's codes say it tersely, and with the path again. */
export function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (code === "ENOENT") return "it no longer exists";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}

/** Runs one read of the walk, naming the path when it fails. */
async function reading<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw new WalkError(path, err);
  }
}

export const KEEP_ALL: WalkFilter = { keeps: () => true, prunes: () => false };

/** The entries under `root` (absolute) that `filter` keeps, in fsutil's order. */
export async function* walkTree(fs: ContextFileSystem, root: string, filter: WalkFilter = KEEP_ALL): AsyncGenerator<WalkEntry> {
  // Left-out directories on the way down, sent only once something under them is kept.
  const pending: WalkEntry[] = [];
  async function* dir(rel: string): AsyncGenerator<WalkEntry> {
    const at = rel ? `${root}/${rel}` : root;
    const names = (await reading(at, () => fs.readdir(at))).sort(compareNames);
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const keep = filter.keeps(path);
      // Only a left-out directory with possible keepers under it is looked at any further.
      if (!keep && filter.prunes(path)) continue;
      const entry = await stat(fs, root, path);
      if (!entry) continue;
      if (entry.kind === "directory") {
        if (keep) {
          yield* pending.splice(0);
          yield entry;
        } else {
          pending.push(entry);
        }
        yield* dir(path);
        if (pending[pending.length - 1] === entry) pending.pop();
      } else if (keep) {
        yield* pending.splice(0);
        yield entry;
      }
    }
  }
  yield* dir("");
}

async function stat(fs: ContextFileSystem, root: string, path: string): Promise<WalkEntry | undefined> {
  const abs = `${root}/${path}`;
  const s = await reading(abs, () => fs.lstat(abs));
  // Sockets, pipes and devices are not part of a build context (the tar walk leaves them out too).
  if (s.kind === "other") return undefined;
  const entry: WalkEntry = { path, kind: s.kind, size: s.kind === "directory" ? 0 : s.size, mode: s.mode, mtimeMs: s.mtimeMs };
  if (s.kind === "symlink") entry.linkname = await reading(abs, () => fs.readlink(abs));
  return entry;
}

/** Orders names by code point, which is the byte order of their UTF-8 (Go's string order). */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done) return q.done ? 0 : -1;
    if (q.done) return 1;
    const d = p.value.codePointAt(0)! - q.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** Glob characters of patternmatcher: a pattern without them names one path and its contents. */
const GLOB = /[*?[\]\\^]/;

/**
 * fsutil's FilterFS: kept when some include pattern matches the path or a parent (every path
 * without include patterns) and no exclude pattern does; `always` are kept whatever the excludes
 * say (the .dockerignore of a context).
 */
export function patternFilter(options: { include?: string[]; exclude?: string[]; always?: string[] }): WalkFilter {
  const include = options.include?.length ? new IgnoreMatcher(options.include) : undefined;
  const exclude = options.exclude?.length ? new IgnoreMatcher(options.exclude) : undefined;
  const always = new Set(options.always ?? []);
  // Literal include patterns (`Dockerfile`, `src/app`) let the walk skip every other directory.
  const literal = options.include?.every((p) => !p.startsWith("!") && !GLOB.test(p)) ?? false;
  const included = (path: string): boolean => !include || include.excludes(path);
  return {
    keeps: (path) => always.has(path) || (included(path) && !exclude?.excludes(path)),
    prunes(dir) {
      if (include && !included(dir)) {
        if (literal && !options.include!.some((p) => p.startsWith(`${dir}/`))) return true;
      }
      if (exclude?.excludes(dir) && !exclude.hasExceptions && ![...always].some((p) => p.startsWith(`${dir}/`))) return true;
      return false;
    },
  };
}

/**
 * fsutil's FollowLinks: each path, and every symlink on the way to it resolved inside the root,
 * so that `followpaths: ["Dockerfile"]` also sends what a Dockerfile symlink points at.
 */
export async function followLinks(fs: ContextFileSystem, root: string, paths: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const start of paths) {
    let rest = splitPath(start);
    let done: string[] = [];
    for (let hops = 0; rest.length > 0 && hops < 255; ) {
      const current = [...done, rest[0]!];
      rest = rest.slice(1);
      const abs = `${root}/${current.join("/")}`;
      const s = await fs.lstat(abs).catch(() => undefined);
      if (s?.kind === "symlink") {
        hops++;
        out.add(current.join("/"));
        const target = await fs.readlink(abs);
        const base = target.startsWith("/") ? [] : current.slice(0, -1);
        rest = [...splitPath([...base, target].join("/")), ...rest];
        done = [];
        continue;
      }
      done = current;
      if (rest.length === 0) out.add(current.join("/"));
    }
  }
  return [...out].sort();
}

/** A path inside the root as its parts: `..` never climbs above it, as fsutil resolves links. */
function splitPath(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts;
}
