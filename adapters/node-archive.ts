// Packing a directory into a tar and extracting a tar into a directory, on node:fs (Bun and Deno
// implement it too). Extraction is safe: no entry lands outside the target, and no entry is
// written through a symlink (an archive cannot plant `link -> /etc` and then write `link/passwd`).

import { createWriteStream } from "node:fs";
import { chmod, link, lstat, mkdir, realpath, rm, symlink, utimes } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import process from "node:process";
import { Writable } from "node:stream";
import { packContext } from "../src/server/build/context.ts";
import { DockerStreamError } from "../src/errors/errors.ts";
import { readTar, safeJoin, tarStream, gunzipIfNeeded } from "../src/streams/tar.ts";
import { nodeFileSystem } from "./node-fs.ts";

/**
 * A directory as a tar stream (for `putArchive`), honouring a `.dockerignore` in it like a build
 * context does. Entry names are relative to `dir`.
 */
export async function packDirectory(dir: string): Promise<ReadableStream<Uint8Array>> {
  const { entries } = await packContext(nodeFileSystem, resolve(dir));
  return tarStream(entries);
}

export interface ExtractOptions {
  /** Drop this many leading path components from each name (like `tar --strip-components`). */
  strip?: number;
  /**
   * Keep the setuid, setgid and sticky bits an entry's mode asks for. Default false: modes are
   * masked to the permission bits (0o777), so an archive from an untrusted container cannot leave
   * a setuid binary owned by the extracting user (root, often). The process umask applies either way.
   */
  keepSpecialBits?: boolean;
}

/**
 * Extracts a tar stream (gzip detected) into `dir`, creating it. Refuses, with DockerStreamError,
 * any entry that would escape `dir` by name (`../x`, absolute paths are made relative), any entry
 * whose path passes through a symlink, and hard links pointing outside or to nothing. Modes lose
 * their setuid/setgid/sticky bits unless `keepSpecialBits` is set, and the umask applies. Returns
 * the names written.
 */
export async function extractTar(stream: ReadableStream<Uint8Array>, dir: string, options: ExtractOptions = {}): Promise<string[]> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const written: string[] = [];
  // chmod ignores the umask (open and mkdir apply it), so it is applied here by hand.
  const umask = currentUmask();
  const allowed = (options.keepSpecialBits ? 0o7777 : 0o777) & ~umask;
  const modeOf = (entry: { mode: number }, fallback: number) => (entry.mode & 0o7777 || fallback) & allowed;
  for await (const entry of readTar(gunzipIfNeeded(stream))) {
    const parts = entry.name.split("/").filter((p) => p !== "" && p !== ".");
    const name = parts.slice(options.strip ?? 0).join("/");
    if (name === "") continue;
    const target = safeJoin(realRoot, name);
    await refuseSymlinkParents(realRoot, target, entry.name);
    switch (entry.type) {
      case "directory": {
        const mode = modeOf(entry, 0o755);
        await mkdir(target, { recursive: true, mode });
        // mkdir drops setgid (and setuid) on Linux: asked-for special bits need a chmod.
        if (mode & 0o7000) await chmod(target, mode);
        break;
      }
      case "file": {
        await mkdir(dirname(target), { recursive: true });
        await replaceable(target, entry.name);
        const mode = modeOf(entry, 0o644);
        await entry.body.pipeTo(Writable.toWeb(createWriteStream(target, { mode })) as WritableStream<Uint8Array>);
        await chmod(target, mode);
        await utimes(target, entry.mtime, entry.mtime).catch(() => {});
        break;
      }
      case "symlink":
        await mkdir(dirname(target), { recursive: true });
        await replaceable(target, entry.name);
        // The link itself may point anywhere; nothing is ever written through it (checked above).
        await symlink(entry.linkname, target);
        break;
      case "hardlink": {
        const source = safeJoin(realRoot, entry.linkname.split("/").slice(options.strip ?? 0).join("/"));
        await refuseSymlinkParents(realRoot, source, entry.linkname);
        const existing = await lstat(source).catch(() => undefined);
        if (!existing || existing.isDirectory()) {
          throw new DockerStreamError(
            `Refusing tar entry "${entry.name}": its hard link target "${entry.linkname}" is ${existing ? "a directory" : "not in the archive (nothing extracted at that path)"}`,
          );
        }
        await mkdir(dirname(target), { recursive: true });
        await replaceable(target, entry.name);
        try {
          await link(source, target);
        } catch (err) {
          const code = (err as { code?: string }).code;
          throw new DockerStreamError(`Cannot hard-link tar entry "${entry.name}" to "${entry.linkname}"${code ? ` (${code})` : ""}`, undefined, { cause: err });
        }
        break;
      }
      default:
        continue; // devices, fifos: skipped
    }
    written.push(name);
  }
  return written;
}

/** The process umask, read without changing it where the runtime allows (0o022 if unknown). */
function currentUmask(): number {
  try {
    // With no argument it only reads (Node sets and restores it, racy across threads only).
    return process.umask();
  } catch {
    return 0o022;
  }
}

/** Throws when any existing component between root and target is a symlink. */
async function refuseSymlinkParents(root: string, target: string, name: string): Promise<void> {
  const rel = target.slice(root.length + 1).split(sep);
  let path = root;
  for (const part of rel.slice(0, -1)) {
    path = join(path, part);
    const stat = await lstat(path).catch(() => undefined);
    if (!stat) return; // the rest does not exist yet: it will be created as directories
    if (stat.isSymbolicLink()) throw new DockerStreamError(`Refusing tar entry "${name}": its path goes through the symlink ${path}`);
  }
}

/** An existing file may be replaced; an existing symlink at the target is removed, never followed. */
async function replaceable(target: string, name: string): Promise<void> {
  const stat = await lstat(target).catch(() => undefined);
  if (!stat) return;
  if (stat.isDirectory()) throw new DockerStreamError(`Refusing tar entry "${name}": a directory exists at ${target}`);
  await rm(target, { force: true });
}
