// File access for building from a directory, on node:fs (also used by Bun and Deno, which
// implement node:fs).

import { createReadStream } from "node:fs";
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ContextFileSystem } from "../src/server/build/context.ts";

export const nodeFileSystem: ContextFileSystem = {
  readdir: (path) => readdir(path),
  async lstat(path) {
    const s = await lstat(path);
    const kind = s.isFile() ? "file" : s.isDirectory() ? "directory" : s.isSymbolicLink() ? "symlink" : "other";
    return { kind, size: s.size, mode: s.mode, mtimeMs: s.mtimeMs };
  },
  readlink: (path) => readlink(path),
  open: (path) => Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>,
  async readText(path) {
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return undefined;
      throw err;
    }
  },
};
