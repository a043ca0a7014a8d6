// Temporary directories for the scenarios' directory builds: files (text or bytes), symlinks and
// empty directories, on node:fs (Node and Bun).
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TempEntry } from "../scenarios/context.ts";

export async function nodeTempDir(files: Record<string, TempEntry>): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "berth-scenario-"));
  for (const [name, data] of Object.entries(files)) {
    const file = join(path, name);
    await mkdir(dirname(file), { recursive: true });
    if (typeof data === "string" || data instanceof Uint8Array) await writeFile(file, data);
    else if ("symlink" in data) await symlink(data.symlink, file);
    else await mkdir(file, { recursive: true });
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
