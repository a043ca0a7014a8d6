// Container archive metadata: the `X-Docker-Container-Path-Stat` header of archive requests.

import { DockerStreamError } from "../errors.ts";
import { decodeUtf8 } from "../streams/bytes.ts";

/** What the engine says about a path in a container. */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits (directory = 1 << 31, symlink = 1 << 27, permissions in the low 9). */
  mode: number;
  mtime: string;
  /** Target, when the path is a symlink. */
  linkTarget: string;
  isDirectory: boolean;
  isSymlink: boolean;
}

/** Decodes the base64 JSON header. */
export function decodePathStat(header: string | null): PathStat {
  if (!header) throw new DockerStreamError("The engine sent no X-Docker-Container-Path-Stat header");
  let raw: { name?: string; size?: number; mode?: number; mtime?: string; linkTarget?: string };
  try {
    const binary = atob(header.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    raw = JSON.parse(decodeUtf8(bytes));
  } catch (err) {
    throw new DockerStreamError("The engine sent a malformed X-Docker-Container-Path-Stat header", undefined, { cause: err });
  }
  const mode = raw.mode ?? 0;
  return {
    name: raw.name ?? "",
    size: raw.size ?? 0,
    mode,
    mtime: raw.mtime ?? "",
    linkTarget: raw.linkTarget ?? "",
    // Go's FileMode: ModeDir is bit 31, ModeSymlink bit 27. `>>> 0` keeps bit 31 unsigned.
    isDirectory: ((mode >>> 0) & 0x80000000) !== 0,
    isSymlink: (mode & (1 << 27)) !== 0,
  };
}
