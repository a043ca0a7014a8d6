// Archive path rules, apart from the tar reader and writer: small, synchronous, and exported from
// the package's barrel without pulling the archive code into a page (see tar-lazy.ts).

import { DockerStreamError } from "../errors/errors.ts";

/**
 * Cleans an archive path into a relative POSIX path: leading `/` and `./`, empty and `.` segments
 * and trailing slashes go, `..` cancels the segment before it. A `..` with nothing left to cancel
 * stays at the front (`a/../../x` → `../x`), so callers can see the escape. NUL bytes throw.
 */
export function normalizeTarPath(name: string): string {
  if (name.includes("\0")) throw new DockerStreamError(`tar entry name contains a NUL byte: ${JSON.stringify(name)}`);
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length !== 0 && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/**
 * Where an entry lands under `root` (POSIX paths). Absolute names are taken relative to the root,
 * as the docker CLI does; a name that climbs above the root once cleaned (`../x`, `a/../../x`,
 * `/../x`) or holds a NUL byte throws DockerStreamError. Only the name is checked: an extractor
 * must still refuse to write through symlinks it created earlier.
 */
export function safeJoin(root: string, entryName: string): string {
  const relative = normalizeTarPath(entryName);
  if (relative === ".." || relative.startsWith("../")) {
    throw new DockerStreamError(`tar entry ${JSON.stringify(entryName)} points outside the extraction directory`);
  }
  if (root.includes("\0")) throw new DockerStreamError(`extraction root contains a NUL byte: ${JSON.stringify(root)}`);
  const base = root.length > 1 ? root.replace(/\/+$/, "") || "/" : root;
  if (relative === "") return base;
  if (base === "") return relative;
  return base.endsWith("/") ? base + relative : `${base}/${relative}`;
}
