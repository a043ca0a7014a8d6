// The package's tar functions load the tar reader and writer on first use, so that a page that
// never touches an archive does not carry them. These check the exported functions behave as the
// ones in src/streams/tar.ts, and that a browser bundle using only Docker leaves tar.ts out of
// what it loads eagerly.

import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { gunzipIfNeeded, normalizeTarPath, readTar, readTarEntries, safeJoin, tarBytes, tarStream } from "../../src/index.ts";
import { DockerStreamError } from "../../src/errors/errors.ts";
import { collectBytes } from "../../src/streams/bytes.ts";
// @ts-expect-error: a plain .mjs helper shared with scripts/browser-size.mjs
import { eagerBundle } from "../../scripts/lib/bundle-size.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const enc = new TextEncoder();
const streamOf = (bytes: Uint8Array) => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) });

describe("tar functions of the package", () => {
  it("write and read back the same entries", async () => {
    const entries = [
      { name: "a.txt", data: "hello" },
      { name: "dir/", type: "directory" as const },
      { name: "dir/b.bin", data: new Uint8Array([1, 2, 3]) },
    ];
    const bytes = await tarBytes(entries);
    expect(await collectBytes(tarStream(entries))).toEqual(bytes);
    const back = await readTarEntries(streamOf(bytes));
    expect(back.map((e) => [e.name, e.type, Buffer.from(e.data).toString()])).toEqual([
      ["a.txt", "file", "hello"],
      ["dir/", "directory", ""],
      ["dir/b.bin", "file", "\x01\x02\x03"],
    ]);
    const names: string[] = [];
    for await (const entry of readTar(streamOf(bytes))) names.push(entry.name);
    expect(names).toEqual(["a.txt", "dir/", "dir/b.bin"]);
    // gzip is recognised; plain bytes pass through.
    expect(await collectBytes(gunzipIfNeeded(streamOf(gzipSync(bytes))))).toEqual(bytes);
    expect(await collectBytes(gunzipIfNeeded(streamOf(bytes)))).toEqual(bytes);
  });

  it("fail as the tar module does", async () => {
    await expect(readTarEntries(streamOf(enc.encode("not an archive at all")))).rejects.toBeInstanceOf(DockerStreamError);
    await expect(collectBytes(tarStream([{ name: "x", data: "abc", size: 5 }]))).rejects.toThrow(/size 5 does not match/);
    expect(() => safeJoin("/out", "../etc/passwd")).toThrow(DockerStreamError);
    expect(normalizeTarPath("./a//b/../c/")).toBe("a/c");
  });

  it("cancelling the archive cancels the entry stream being read", async () => {
    let cancelled: unknown = "no";
    const data = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(new Uint8Array(1024)),
      cancel: (reason) => void (cancelled = reason),
    });
    const reader = tarStream([{ name: "big", size: 1 << 30, data }]).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel("enough");
    expect(cancelled).toBe("enough");
  });

  it("are not in what a page importing only Docker loads eagerly", async () => {
    const page = await eagerBundle(ROOT, `import { Docker } from "./adapters/browser.ts"; (globalThis as any).d = new Docker({ url: "http://x" }).containers.list();`);
    const eager = Object.keys(page.inputs);
    expect(eager).toContain("src/resources/containers.ts");
    expect(eager).not.toContain("src/streams/tar.ts");
  });
});
