// BuildKit's file sync, without an engine: fsutil's packets byte by byte, the walk order and its
// filters over an in-memory file system, and the DiffCopy handler driven as the engine drives it.

import { describe, expect, it } from "vitest";
import { GoMode, PacketType, decodePacket, encodePacket, goMode, hasData, type Packet } from "../../src/buildkit/filesync/packet.ts";
import { diffCopy, type SyncedDir } from "../../src/buildkit/filesync/service.ts";
import type { GrpcCall } from "../../src/grpc/server.ts";
import { GrpcError, GrpcStatus } from "../../src/grpc/server.ts";
import { ProtoWriter } from "../../src/protobuf/writer.ts";
import type { ContextFileSystem } from "../../src/server/build/context.ts";
import { compareNames, followLinks, patternFilter, walkTree } from "../../src/server/build/walk.ts";

type Tree = { [name: string]: string | Tree | { link: string } };

/** An in-memory file system under /root, recording every path asked about. */
function memoryFs(tree: Tree, fail: Record<string, string> = {}, vanished: string[] = []) {
  const asked: string[] = [];
  const find = (path: string): string | Tree | { link: string } | undefined => {
    let node: string | Tree | { link: string } | undefined = { root: tree };
    for (const part of path.split("/").filter(Boolean)) {
      if (node === undefined || typeof node === "string" || "link" in node) return undefined;
      node = (node as Tree)[part];
    }
    return node;
  };
  const isLink = (n: unknown): n is { link: string } => typeof n === "object" && n !== null && typeof (n as { link?: unknown }).link === "string";
  const fs: ContextFileSystem = {
    async readdir(path) {
      asked.push(`readdir ${path}`);
      return Object.keys(find(path) as Tree);
    },
    async lstat(path) {
      asked.push(`lstat ${path}`);
      const n = vanished.includes(path) ? undefined : find(path);
      if (n === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      if (typeof n === "string") return { kind: "file", size: n.length, mode: 0o100644, mtimeMs: 1_700_000_000_123.456 };
      if (isLink(n)) return { kind: "symlink", size: n.link.length, mode: 0o120777, mtimeMs: 1 };
      return { kind: "directory", size: 4096, mode: 0o40755, mtimeMs: 2 };
    },
    async readlink(path) {
      return (find(path) as { link: string }).link;
    },
    open(path) {
      asked.push(`open ${path}`);
      const reason = fail[path];
      const text = find(path) as string;
      return new ReadableStream({
        pull(c) {
          if (reason) return c.error(Object.assign(new Error(reason), { code: reason }));
          c.enqueue(new TextEncoder().encode(text));
          c.close();
        },
      });
    },
    async readText(path) {
      const n = find(path);
      return typeof n === "string" ? n : undefined;
    },
  };
  return { fs, asked };
}

async function paths(fs: ContextFileSystem, filter?: ReturnType<typeof patternFilter>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walkTree(fs, "/root", filter)) out.push(e.path);
  return out;
}

describe("fsutil packets", () => {
  it("encodes as Go's protobuf does: the walk's end is an empty message, REQ and DATA carry their id", () => {
    expect([...encodePacket({ type: PacketType.STAT })]).toEqual([]);
    expect([...encodePacket({ type: PacketType.REQ, id: 3 })]).toEqual([0x08, 0x01, 0x18, 0x03]);
    expect([...encodePacket({ type: PacketType.DATA, id: 0 })]).toEqual([0x08, 0x02]);
    expect([...encodePacket({ type: PacketType.DATA, id: 1, data: new Uint8Array([7, 8]) })]).toEqual([0x08, 0x02, 0x18, 0x01, 0x22, 0x02, 7, 8]);
    expect([...encodePacket({ type: PacketType.FIN })]).toEqual([0x08, 0x03]);
    // stat: path "a", mode 0o644, size 5
    expect([...encodePacket({ type: PacketType.STAT, stat: { path: "a", mode: 0o644, size: 5 } })]).toEqual([0x12, 0x08, 0x0a, 0x01, 0x61, 0x10, 0xa4, 0x03, 0x28, 0x05]);
  });

  it("writes nanosecond timestamps past 2^53 exactly", () => {
    expect([...new ProtoWriter().int64(6, 2n ** 56n).finish()]).toEqual([0x30, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect([...new ProtoWriter().int64(1, -1n).finish()]).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it("decodes what it encodes, and skips fields it does not know (xattrs)", () => {
    const packet: Packet = { type: PacketType.STAT, stat: { path: "dir/x", mode: GoMode.DIR + 0o755, uid: 1000, gid: 1000, size: 0, modTime: 1_000_000n, linkname: "" } };
    const bytes = encodePacket(packet);
    const withXattr = new Uint8Array([...bytes.subarray(0, 1), bytes[1]! + 4, ...bytes.subarray(2), 0x52, 0x02, 0x0a, 0x00]);
    // The stat message grew by the xattr field (10, an empty map entry).
    expect(decodePacket(withXattr).stat).toEqual({ path: "dir/x", mode: GoMode.DIR + 0o755, uid: 1000, gid: 1000, modTime: 1_000_000n });
    expect(decodePacket(encodePacket({ type: PacketType.REQ, id: 2 ** 31 }))).toEqual({ type: PacketType.REQ, id: 2 ** 31 });
  });

  it("maps Unix modes to Go's os.FileMode; only regular files carry data", () => {
    expect(goMode("file", 0o100644)).toBe(0o644);
    expect(goMode("file", 0o104755)).toBe(GoMode.SETUID + 0o755);
    expect(goMode("directory", 0o41777)).toBe(GoMode.DIR + GoMode.STICKY + 0o777);
    expect(goMode("symlink", 0o120777)).toBe(GoMode.SYMLINK + 0o777);
    expect(hasData(goMode("file", 0o102755))).toBe(true);
    expect(hasData(goMode("directory", 0o40755))).toBe(false);
    expect(hasData(goMode("symlink", 0o120777))).toBe(false);
  });
});

describe("the walk", () => {
  it("goes depth first, each directory's names in UTF-8 byte order, as fsutil's receiver checks", async () => {
    const { fs } = memoryFs({ z: "", "a.txt": "", b: { y: "", "x-": "", x: { deep: "" } }, a: { b: "" }, "ä": "", "\u{1F600}": "", "\uFFFD": "" });
    expect(await paths(fs)).toEqual(["a", "a/b", "a.txt", "b", "b/x", "b/x/deep", "b/x-", "b/y", "z", "ä", "\uFFFD", "\u{1F600}"]);
    expect(compareNames("\uFFFD", "\u{1F600}")).toBeLessThan(0); // UTF-16 order says the opposite
  });

  it("never looks at what an exclude pattern names, unless an exception may lie under it", async () => {
    const { fs, asked } = memoryFs({ Dockerfile: "", ".dockerignore": "", node_modules: { pkg: { "index.js": "" } }, "big.bin": "", src: { "a.ts": "" } });
    expect(await paths(fs, patternFilter({ exclude: ["node_modules", "*.bin", ".dockerignore"], always: [".dockerignore"] }))).toEqual([".dockerignore", "Dockerfile", "src", "src/a.ts"]);
    expect(asked.filter((a) => /node_modules|big\.bin/.test(a))).toEqual([]);
  });

  it("sends a left-out directory before a descendant an exception keeps", async () => {
    const { fs } = memoryFs({ logs: { "a.log": "", "keep.txt": "" }, other: { "b.log": "" } });
    expect(await paths(fs, patternFilter({ exclude: ["logs", "other", "!logs/keep.txt"] }))).toEqual(["logs", "logs/keep.txt"]);
  });

  it("walks only towards literal include paths (followpaths), with their parents", async () => {
    const { fs, asked } = memoryFs({ Dockerfile: "", deep: { er: { "Dockerfile.dockerignore": "" } }, elsewhere: { x: "" } });
    expect(await paths(fs, patternFilter({ include: ["Dockerfile", "deep/er/Dockerfile.dockerignore"] }))).toEqual(["Dockerfile", "deep", "deep/er", "deep/er/Dockerfile.dockerignore"]);
    expect(asked).not.toContain("readdir /root/elsewhere");
  });

  it("follows symlinks in follow paths inside the root", async () => {
    const { fs } = memoryFs({ Dockerfile: { link: "build/Dockerfile.real" }, build: { "Dockerfile.real": "" }, up: { link: "../../etc" } });
    expect(await followLinks(fs, "/root", ["Dockerfile", "missing", "up/passwd"])).toEqual(["Dockerfile", "build/Dockerfile.real", "etc/passwd", "missing", "up"]);
  });
});

/** Drives a DiffCopy call: the engine's packets in, berth's out, as the engine sends and reads them. */
function call(metadata: Record<string, string[]>) {
  const sent: Packet[] = [];
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const controller = new AbortController();
  const messages = (async function* () {
    for (;;) {
      if (queue.length) yield queue.shift()!;
      else if (closed) return;
      else await new Promise<void>((r) => (wake = r));
    }
  })();
  const grpc: GrpcCall = {
    path: "/moby.filesync.v1.FileSync/DiffCopy",
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, v.join(", ")])),
    metadataValues: (name) => metadata[name] ?? [],
    messages,
    send: async (m) => void sent.push(decodePacket(m)),
    signal: controller.signal,
  };
  const push = (p: Packet): void => {
    queue.push(encodePacket(p));
    wake?.();
  };
  const waitFor = async (test: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 1));
  };
  return { grpc, sent, push, waitFor, close: () => ((closed = true), wake?.()) };
}

describe("DiffCopy", () => {
  const dirs = (dir: SyncedDir) => new Map([["context", dir]]);

  it("stats the kept entries, sends what the engine requests by id, and answers FIN", async () => {
    const { fs } = memoryFs({ Dockerfile: "FROM x\n", "a,b": "comma", ignored: "no", sub: { "c.txt": "c" } });
    const count = { files: 0, bytes: 0 };
    const c = call({ "dir-name": ["context"], "exclude-patterns": ["ignored"], "include-patterns": ["a,b", "sub"] });
    const done = diffCopy(fs, dirs({ root: "/root" }), count)(c.grpc);
    await c.waitFor(() => c.sent.length === 4);
    expect(c.sent.map((p) => p.stat?.path)).toEqual(["a,b", "sub", "sub/c.txt", undefined]);
    expect(c.sent[1]!.stat!.mode).toBe(GoMode.DIR + 0o755);
    expect(c.sent[0]!.stat!.modTime).toBe(1_700_000_000_123_456_000n);
    c.push({ type: PacketType.REQ, id: 2 });
    c.push({ type: PacketType.REQ, id: 0 });
    c.push({ type: PacketType.FIN });
    await done;
    const rest = c.sent.slice(4).map((p) => [p.type, p.id ?? 0, new TextDecoder().decode(p.data ?? new Uint8Array(0))]);
    expect(rest).toEqual([[PacketType.DATA, 2, "c"], [PacketType.DATA, 2, ""], [PacketType.DATA, 0, "comma"], [PacketType.DATA, 0, ""], [PacketType.FIN, 0, ""]]);
    expect(count.files).toBe(2);
    expect(count.bytes).toBeGreaterThan(0);
  });

  it("offers nothing beyond a directory's `only` paths, whatever the engine asks for", async () => {
    const { fs } = memoryFs({ "app.Dockerfile": { link: "real.Dockerfile" }, "real.Dockerfile": "FROM x\n", ".ssh": { id_rsa: "secret" }, notes: "" });
    const c = call({ "dir-name": ["dockerfile"] });
    const done = diffCopy(fs, new Map([["dockerfile", { root: "/root", only: ["app.Dockerfile", "app.Dockerfile.dockerignore"] }]]), { files: 0, bytes: 0 })(c.grpc);
    await c.waitFor(() => c.sent.length === 3);
    c.push({ type: PacketType.FIN });
    await done;
    expect(c.sent.map((p) => p.stat?.path)).toEqual(["app.Dockerfile", "real.Dockerfile", undefined, undefined]);
  });

  it("reads URL-encoded metadata where the engine marks it so", async () => {
    const { fs } = memoryFs({ "ünï": "", other: "" });
    const c = call({ "dir-name": ["context"], followpaths: ["%C3%BCn%C3%AF"], "followpaths-encoded": ["1"] });
    const done = diffCopy(fs, dirs({ root: "/root" }), { files: 0, bytes: 0 })(c.grpc);
    await c.waitFor(() => c.sent.length === 2);
    c.push({ type: PacketType.FIN });
    await done;
    expect(c.sent[0]!.stat!.path).toBe("ünï");
  });

  it("fails with an ERR packet naming the file when it cannot be read, without waiting for the engine", async () => {
    const { fs } = memoryFs({ gone: "x" }, { "/root/gone": "ENOENT" });
    const c = call({ "dir-name": ["context"] });
    const done = diffCopy(fs, dirs({ root: "/root" }), { files: 0, bytes: 0 })(c.grpc);
    await c.waitFor(() => c.sent.length === 2);
    c.push({ type: PacketType.REQ, id: 0 });
    await expect(done).rejects.toThrow(new GrpcError(GrpcStatus.UNKNOWN, "cannot read /root/gone: it no longer exists"));
    const err = c.sent.at(-1)!;
    expect(err.type).toBe(PacketType.ERR);
    expect(new TextDecoder().decode(err.data)).toBe("cannot read /root/gone: it no longer exists");
  });

  it("fails naming the path when an entry vanishes during the walk", async () => {
    const { fs } = memoryFs({ a: "", sub: { b: "" } }, {}, ["/root/sub"]);
    const c = call({ "dir-name": ["context"] });
    await expect(diffCopy(fs, dirs({ root: "/root" }), { files: 0, bytes: 0 })(c.grpc)).rejects.toThrow("cannot read /root/sub: it no longer exists");
    expect(c.sent.map((p) => p.type)).toEqual([PacketType.STAT, PacketType.ERR]);
  });

  it("refuses a directory it was not given and a request for an id that is no file", async () => {
    const { fs } = memoryFs({ d: {} });
    const unknown = call({ "dir-name": ["elsewhere"] });
    await expect(diffCopy(fs, dirs({ root: "/root" }), { files: 0, bytes: 0 })(unknown.grpc)).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    const c = call({ "dir-name": ["context"] });
    const done = diffCopy(fs, dirs({ root: "/root" }), { files: 0, bytes: 0 })(c.grpc);
    await c.waitFor(() => c.sent.length === 2);
    c.push({ type: PacketType.REQ, id: 0 }); // a directory
    await expect(done).rejects.toThrow(/invalid file request 0/);
  });

  it("ends when the engine half-closes without FIN", async () => {
    const { fs } = memoryFs({ a: "" });
    const c = call({ "dir-name": ["context"] });
    const done = diffCopy(fs, dirs({ root: "/root" }), { files: 0, bytes: 0 })(c.grpc);
    c.close();
    await done;
    expect(c.sent.at(-1)).toEqual({ type: PacketType.STAT });
  });
});
