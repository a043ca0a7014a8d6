// Temporary directories for the scenarios' directory builds and files (text or bytes), on node:fs (Node and Bun).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export async function nodeTempDir(files: Record<string, string | Uint8Array>): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "berth-scenario-"));
  for (const [name, data] of Object.entries(files)) {
    await mkdir(dirname(join(path, name)), { recursive: true });
    await writeFile(join(path, name), data);
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
