// Container archive metadata: the `X-Docker-Container-Path-Stat` header of archive requests.

import { DockerConfigError, DockerStreamError } from "../errors/errors.ts";
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

/** What a caller gave, for a message: never the value itself (it may be a secret or huge). */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === "") return "an empty string";
  if (Array.isArray(value)) return "an array";
  if (typeof value !== "object") return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
  if (isNodeStream(value)) return "a Node.js stream";
  if (value instanceof ArrayBuffer) return "an ArrayBuffer";
  const keys = Object.keys(value);
  return keys.length > 0 ? `an object with ${keys.slice(0, 5).map((k) => `"${k}"`).join(", ")}` : "an empty object";
}

/** A Node.js Readable: async-iterable, but of byte chunks, not of tar entries. */
function isNodeStream(value: object): boolean {
  return typeof (value as { pipe?: unknown }).pipe === "function" && typeof (value as { on?: unknown }).on === "function";
}

const ARCHIVE_FORMS = "a tar as ReadableStream, Uint8Array or Blob, or tar entries (an iterable or async iterable of { name, ... })";
const TAR_FORMS = "a tar as ReadableStream, Uint8Array or Blob";

/**
 * Checks an upload's tar before anything is sent: `entries` says whether tar entries are accepted
 * too, `otherForms` names forms the caller accepts besides (a build's directory). A wrong value (a Node stream, `{ path }`, an array of strings) is a DockerConfigError naming
 * the accepted forms; left alone it failed mid-upload and read as a connection error.
 */
export function checkArchiveInput(value: unknown, what: string, entries: boolean, otherForms?: string): void {
  const forms = `${otherForms ? `${otherForms}, ` : ""}${entries ? ARCHIVE_FORMS : TAR_FORMS}`;
  const fail = (extra = ""): never => {
    throw new DockerConfigError(`${what} cannot use ${describeValue(value)}${extra}: expected ${forms}`);
  };
  if (typeof value !== "object" || value === null) return fail();
  if (value instanceof Uint8Array || value instanceof ReadableStream || (typeof Blob !== "undefined" && value instanceof Blob)) return;
  if (isNodeStream(value)) return fail(" (convert it with Readable.toWeb(stream))");
  if (!entries) return fail();
  if (Array.isArray(value)) {
    const bad = value.findIndex((e) => typeof e !== "object" || e === null || typeof (e as { name?: unknown }).name !== "string");
    if (bad >= 0) return fail(` (item ${bad} is ${describeValue(value[bad])}, not an entry with a string name)`);
    return;
  }
  if (Symbol.iterator in value || Symbol.asyncIterator in value) return;
  return fail();
}
