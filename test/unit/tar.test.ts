import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerStreamError } from "../../src/errors/errors.ts";
import {
  decodeHeader,
  encodeHeader,
  gunzipIfNeeded,
  normalizeTarPath,
  parsePax,
  readTar,
  readTarEntries,
  safeJoin,
  tarBytes,
  tarStream,
  type TarEntry,
} from "../../src/streams/tar.ts";

const dec = new TextDecoder();

function streamOf(bytes: Uint8Array, chunkSize = bytes.length || 1): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

function chunkedStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

const LONG_SPLITTABLE = `${"dir-".repeat(20)}/${"f".repeat(90)}.txt`; // 175 bytes, splits into prefix + name
const LONG_UNSPLITTABLE = "n".repeat(120); // no slash: needs PAX
const VERY_LONG = Array.from({ length: 30 }, (_, i) => `segment${i}`).join("/") + "/end.bin"; // > 255
const UNICODE = "données/日本語-🐳.txt";
const BIG_BYTES = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);

function sampleEntries(): TarEntry[] {
  const streamed = new Uint8Array(100_003).map((_, i) => (i * 13) & 0xff);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= streamed.length) return controller.close();
      controller.enqueue(streamed.subarray(sent, sent + 4096));
      sent += 4096;
    },
  });
  return [
    { name: "hello.txt", data: "hello world\n", mode: 0o600, mtime: new Date("2024-05-06T07:08:09Z"), uid: 1000, gid: 1001, uname: "alice", gname: "staff" },
    { name: "empty", data: new Uint8Array(0) },
    { name: "dir", type: "directory" },
    { name: LONG_SPLITTABLE, data: "split" },
    { name: LONG_UNSPLITTABLE, data: "pax" },
    { name: VERY_LONG, data: "very long" },
    { name: UNICODE, data: "unicode ✓" },
    { name: "link", type: "symlink", linkname: "hello.txt" },
    { name: "long-link", type: "symlink", linkname: `${"t/".repeat(80)}target` },
    { name: "hard", type: "hardlink", linkname: "hello.txt" },
    { name: "streamed.bin", data: stream, size: streamed.length },
    { name: "big.bin", data: BIG_BYTES },
    { name: "ids", data: "x", uid: 3_000_000, gid: 4_000_000, uname: "u".repeat(40) },
  ];
}

describe("tar write → read", () => {
  it("round-trips names, types, metadata and contents", async () => {
    const archive = await tarBytes(sampleEntries());
    expect(archive.length % 512).toBe(0);
    // Read it in awkward chunk sizes.
    for (const chunkSize of [archive.length, 512, 1000, 4093]) {
      const entries = await readTarEntries(streamOf(archive, chunkSize));
      const byName = new Map(entries.map((e) => [e.name, e]));
      expect(entries.map((e) => e.name)).toEqual([
        "hello.txt", "empty", "dir/", LONG_SPLITTABLE, LONG_UNSPLITTABLE, VERY_LONG, UNICODE, "link", "long-link", "hard", "streamed.bin", "big.bin", "ids",
      ]);
      const hello = byName.get("hello.txt")!;
      expect(dec.decode(hello.data)).toBe("hello world\n");
      expect(hello.mode).toBe(0o600);
      expect(hello.mtime.toISOString()).toBe("2024-05-06T07:08:09.000Z");
      expect(byName.get("empty")!.data.length).toBe(0);
      expect(byName.get("dir/")!.type).toBe("directory");
      expect(byName.get("dir/")!.mode).toBe(0o755);
      expect(dec.decode(byName.get(LONG_SPLITTABLE)!.data)).toBe("split");
      expect(dec.decode(byName.get(VERY_LONG)!.data)).toBe("very long");
      expect(dec.decode(byName.get(UNICODE)!.data)).toBe("unicode ✓");
      expect(byName.get("link")).toMatchObject({ type: "symlink", linkname: "hello.txt", mode: 0o777 });
      expect(byName.get("long-link")!.linkname).toBe(`${"t/".repeat(80)}target`);
      expect(byName.get("hard")).toMatchObject({ type: "hardlink", linkname: "hello.txt" });
      const streamed = byName.get("streamed.bin")!.data;
      expect(streamed.length).toBe(100_003);
      expect(streamed.every((b, i) => b === ((i * 13) & 0xff))).toBe(true);
      expect(Buffer.from(byName.get("big.bin")!.data).equals(Buffer.from(BIG_BYTES))).toBe(true);
    }
    // Ids and names too large for ustar fields travel in PAX records.
    for await (const entry of readTar(streamOf(archive))) {
      if (entry.name === "hello.txt") expect(entry).toMatchObject({ uid: 1000, gid: 1001, uname: "alice", gname: "staff" });
      if (entry.name === "ids") expect(entry).toMatchObject({ uid: 3_000_000, gid: 4_000_000, uname: "u".repeat(40) });
    }
  });

  it("reads an archive delivered a few bytes at a time", async () => {
    const archive = await tarBytes([{ name: "a", data: "x".repeat(1000) }, { name: LONG_UNSPLITTABLE, data: "p" }, { name: "d", type: "directory" }]);
    const entries = await readTarEntries(streamOf(archive, 7));
    expect(entries.map((e) => [e.name, e.data.length])).toEqual([["a", 1000], [LONG_UNSPLITTABLE, 1], ["d/", 0]]);
  });

  it("round-trips arbitrary names and contents", async () => {
    const nameArb = fc
      .array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => !s.includes("/") && !s.includes("\0") && s !== "." && s !== ".."), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join("/"));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.record({ name: nameArb, data: fc.uint8Array({ maxLength: 1500 }) }), { selector: (e) => e.name, maxLength: 6 }), async (files) => {
        const archive = await tarBytes(files);
        const back = await readTarEntries(streamOf(archive, 333));
        expect(back.map((e) => [e.name, Buffer.from(e.data).toString("hex")])).toEqual(files.map((f) => [f.name, Buffer.from(f.data).toString("hex")]));
      }),
      { numRuns: 60 },
    );
  });

  it("encodes a size of 8 GiB in the header (PAX and base-256) and reads it back", async () => {
    const size = 8 * 1024 ** 3;
    const header = encodeHeader({ name: "huge.img", size, mtime: 0 });
    expect(header.length).toBe(3 * 512); // PAX header, its records, the ustar header
    expect(String.fromCharCode(header[156])).toBe("x");
    expect(parsePax(header.subarray(512, 1024))).toEqual({ size: String(size) });
    const ustar = decodeHeader(header.subarray(1024))!;
    expect(ustar).toMatchObject({ name: "huge.img", typeflag: "0", size });

    // The reader takes the size from the header; stopping right away never touches the body.
    let cancelled = false;
    let sent = false;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        if (!sent) c.enqueue(header);
        sent = true;
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const entry of readTar(source)) {
      expect(entry.name).toBe("huge.img");
      expect(entry.size).toBe(size);
      break;
    }
    expect(cancelled).toBe(true);

    // One byte less still fits ustar's octal field.
    const fits = encodeHeader({ name: "almost", size: size - 1 });
    expect(fits.length).toBe(512);
    expect(decodeHeader(fits)!.size).toBe(size - 1);
  });

  it("applies global PAX headers to every later entry, under per-entry ones", async () => {
    const records = new TextEncoder().encode("20 uname=globaluser\n12 mtime=10\n");
    const globalHeader = encodeHeader({ name: "pax_global_header", size: records.length, mtime: 0 });
    globalHeader[156] = "g".charCodeAt(0);
    // Recompute the checksum after changing the typeflag.
    globalHeader.fill(0x20, 148, 156);
    const sum = globalHeader.reduce((a, b) => a + b, 0);
    globalHeader.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    const padding = new Uint8Array(512 - records.length);
    const rest = await tarBytes([{ name: "a", data: "1" }, { name: "b", data: "2", uname: "ü-local" }]);
    const archive = new Uint8Array([...globalHeader, ...records, ...padding, ...rest]);
    const seen: Array<[string, string, number]> = [];
    for await (const entry of readTar(streamOf(archive))) seen.push([entry.name, entry.uname, entry.mtime.getTime()]);
    expect(seen).toEqual([["a", "globaluser", 10_000], ["b", "ü-local", 10_000]]);
  });

  it("reports a corrupted checksum", async () => {
    const archive = await tarBytes([{ name: "a.txt", data: "a" }]);
    archive[0] ^= 0x01;
    const err = await readTarEntries(streamOf(archive)).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch(/checksum/);
  });

  it("reports truncated archives wherever they are cut", async () => {
    const archive = await tarBytes([{ name: "a.txt", data: "a".repeat(700) }, { name: "b.txt", data: "b" }]);
    // Cut inside the first header, the first body, its padding, the second header, before and inside the end marker.
    for (const cut of [0, 100, 600, 1400, 1600, 2048, 2560, 3000]) {
      const err = await readTarEntries(streamOf(archive.subarray(0, cut))).catch((e) => e);
      expect(err, `cut at ${cut}`).toBeInstanceOf(DockerStreamError);
      expect(err.message).toMatch(/truncated/);
    }
    // The end marker's second block missing is tolerated; its first is the end.
    expect(await readTarEntries(streamOf(archive.subarray(0, archive.length - 512)))).toHaveLength(2);
  });

  it("skips unread bodies and refuses reads after moving on", async () => {
    const archive = await tarBytes([
      { name: "one", data: "1".repeat(5000) },
      { name: "two", data: "22" },
      { name: "three", data: "3".repeat(1000) },
    ]);
    const names: string[] = [];
    let firstBody: ReadableStream<Uint8Array> | null = null;
    let thirdData = "";
    for await (const entry of readTar(streamOf(archive, 700))) {
      names.push(entry.name);
      if (entry.name === "one") {
        firstBody = entry.body;
        // Read part of it only.
        const reader = entry.body.getReader();
        expect((await reader.read()).value!.length).toBeGreaterThan(0);
        reader.releaseLock();
      }
      if (entry.name === "three") thirdData = dec.decode(new Uint8Array(await new Response(entry.body).arrayBuffer()));
    }
    expect(names).toEqual(["one", "two", "three"]);
    expect(thirdData).toBe("3".repeat(1000));
    await expect(firstBody!.getReader().read()).rejects.toBeInstanceOf(DockerStreamError);
  });

  it("pulls entry streams only as the archive is read", async () => {
    let pulls = 0;
    const data = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        c.enqueue(new Uint8Array(1024));
      },
    });
    const archive = tarStream([{ name: "endless-but-declared", data, size: 1024 * 1000 }]);
    const reader = archive.getReader();
    await reader.read(); // the header
    await reader.read(); // first data chunk
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
    expect(pulls).toBeLessThan(5);
    await reader.cancel();
  });

  it("rejects a stream entry that does not match its declared size", async () => {
    const short = tarBytes([{ name: "s", data: streamOf(new Uint8Array(10)), size: 20 }]);
    await expect(short).rejects.toThrow(/produced 10 bytes, not the declared 20/);
    const long = tarBytes([{ name: "l", data: streamOf(new Uint8Array(30)), size: 20 }]);
    await expect(long).rejects.toThrow(/more than the declared 20/);
    await expect(tarBytes([{ name: "n", data: streamOf(new Uint8Array(3)) }])).rejects.toThrow(/needs a size/);
    await expect(tarBytes([{ name: "d", type: "directory", data: "x" }])).rejects.toThrow(/only files carry data/);
  });

  it("cancels the entry stream when the archive is cancelled", async () => {
    let cancelled = false;
    const data = new ReadableStream<Uint8Array>({
      pull() {
        return new Promise(() => {}); // never produces
      },
      cancel() {
        cancelled = true;
      },
    });
    const reader = tarStream([{ name: "stuck", data, size: 10 }]).getReader();
    await reader.read(); // header
    const pending = reader.read(); // waits on the entry stream
    await new Promise((r) => setTimeout(r, 5));
    await reader.cancel("stop");
    await pending.catch(() => {});
    expect(cancelled).toBe(true);
  });
});

/** One metadata entry (`x`, `g`, `L`) with its data, padded to blocks. */
function metaEntry(typeflag: string, data: Uint8Array): Uint8Array {
  const header = encodeHeader({ name: "PaxHeader/meta", size: data.length, mtime: 0 });
  header[156] = typeflag.charCodeAt(0);
  header.fill(0x20, 148, 156);
  const sum = header.reduce((a, b) => a + b, 0);
  header.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  const out = new Uint8Array(512 + Math.ceil(data.length / 512) * 512);
  out.set(header, 0);
  out.set(data, 512);
  return out;
}

function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return new TextEncoder().encode(`${length}${body}`);
}

function joinBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

describe("tar extended header limits", () => {
  const value = "v".repeat(400); // a ~420-byte record: one 512-byte block of data per header

  it("refuses 10 MiB of small x headers for one entry with a DockerStreamError (merged in place, not copied per header)", async () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 10_240; i++) parts.push(metaEntry("x", paxRecord(`BERTH.k${i}`, value)));
    parts.push(await tarBytes([{ name: "file", data: "hi" }]));
    const archive = joinBytes(parts);
    expect(archive.length).toBeGreaterThan(10 * 1024 * 1024);
    const err = await readTarEntries(streamOf(archive, 65536)).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch(/more than 1048576 bytes of extended headers for one entry/);
  });

  it("merges many x headers for one entry under the limit, later records winning, and forgets them after it", async () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 2_000; i++) {
      parts.push(metaEntry("x", joinBytes([paxRecord(`BERTH.k${i}`, value), paxRecord("path", `renamed-${i}`)])));
    }
    parts.push(metaEntry("L", new TextEncoder().encode("gnu-name\0")));
    parts.push(await tarBytes([{ name: "first", data: "1" }, { name: "second", data: "2" }]));
    const entries = await readTarEntries(streamOf(joinBytes(parts), 65536));
    expect(entries.map((e) => [e.name, dec.decode(e.data)])).toEqual([["renamed-1999", "1"], ["second", "2"]]);
  });

  it("caps what global headers hold, not how often they repeat a key", async () => {
    const tail = await tarBytes([{ name: "a", data: "1" }]);
    // 3,000 global headers (3 MiB) replacing the same two keys hold a few hundred bytes.
    const replacing: Uint8Array[] = [];
    for (let i = 0; i < 3_000; i++) replacing.push(metaEntry("g", joinBytes([paxRecord("comment", value), paxRecord("uname", `user${i}`)])));
    const entries: string[] = [];
    for await (const entry of readTar(streamOf(joinBytes([...replacing, tail]), 65536))) entries.push(`${entry.name}:${entry.uname}`);
    expect(entries).toEqual(["a:user2999"]);

    // 3,000 distinct keys (1.2 MiB held) are refused.
    const growing: Uint8Array[] = [];
    for (let i = 0; i < 3_000; i++) growing.push(metaEntry("g", paxRecord(`BERTH.g${i}`, value)));
    const err = await readTarEntries(streamOf(joinBytes([...growing, tail]), 65536)).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch(/global extended headers hold more than 1048576 bytes/);
  });

  it("keeps a __proto__ record as data", () => {
    expect(parsePax(paxRecord("__proto__", "x"))).toEqual(Object.fromEntries([["__proto__", "x"]]));
  });
});

describe("gunzipIfNeeded", () => {
  it("decompresses gzip and passes anything else through", async () => {
    const archive = await tarBytes([{ name: "z.txt", data: "zipped".repeat(100) }]);
    const gz = new Uint8Array(await new Response(streamOf(archive).pipeThrough(new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>)).arrayBuffer());
    expect(gz[0]).toBe(0x1f);
    // Split the magic bytes across chunks.
    const entries = await readTarEntries(gunzipIfNeeded(chunkedStream([gz.subarray(0, 1), gz.subarray(1, 50), gz.subarray(50)])));
    expect(entries.map((e) => [e.name, dec.decode(e.data)])).toEqual([["z.txt", "zipped".repeat(100)]]);

    const plain = await readTarEntries(gunzipIfNeeded(streamOf(archive, 100)));
    expect(plain.map((e) => e.name)).toEqual(["z.txt"]);
    const empty = new Uint8Array(await new Response(gunzipIfNeeded(chunkedStream([]))).arrayBuffer());
    expect(empty.length).toBe(0);
    const one = new Uint8Array(await new Response(gunzipIfNeeded(chunkedStream([Uint8Array.of(0x1f)]))).arrayBuffer());
    expect(Array.from(one)).toEqual([0x1f]);
  });
});

describe("paths", () => {
  it.each([
    ["a/b", "a/b"],
    ["./a//b/", "a/b"],
    ["/abs/x", "abs/x"],
    ["a/../b", "b"],
    ["a/../../x", "../x"],
    ["../x", "../x"],
    ["/../x", "../x"],
    [".", ""],
    ["a/./b/../c", "a/c"],
  ])("normalizeTarPath(%j) = %j", (input, expected) => {
    expect(normalizeTarPath(input)).toBe(expected);
  });

  it("safeJoin keeps entries under the root", () => {
    expect(safeJoin("/tmp/out", "a/b.txt")).toBe("/tmp/out/a/b.txt");
    expect(safeJoin("/tmp/out/", "./a/../b")).toBe("/tmp/out/b");
    expect(safeJoin("/tmp/out", "/etc/passwd")).toBe("/tmp/out/etc/passwd");
    expect(safeJoin("/tmp/out", "./")).toBe("/tmp/out");
    expect(safeJoin("/", "x")).toBe("/x");
    expect(safeJoin("rel", "x/y")).toBe("rel/x/y");
    expect(safeJoin("", "x/y")).toBe("x/y");
    for (const bad of ["../x", "a/../../x", "/../etc/passwd", "..", "a/b/../../../c"]) {
      expect(() => safeJoin("/tmp/out", bad), bad).toThrow(DockerStreamError);
    }
    expect(() => safeJoin("/tmp/out", "a\0b")).toThrow(/NUL/);
    // Names that merely look like dots are fine.
    expect(safeJoin("/r", "..a/b..")).toBe("/r/..a/b..");
  });
});

describe("interop with the system tar", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-tar-"));
    const src = join(dir, "src");
    mkdirSync(join(src, "sub", "deeper"), { recursive: true });
    writeFileSync(join(src, "plain.txt"), "plain\n");
    writeFileSync(join(src, "empty"), "");
    writeFileSync(join(src, "sub", "deeper", "data.bin"), Buffer.alloc(5000, 0xab));
    writeFileSync(join(src, "sub", "日本語.txt"), "unicode\n");
    writeFileSync(join(src, "l".repeat(150)), "long name\n");
    symlinkSync("plain.txt", join(src, "link"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const format of ["gnu", "posix", "ustar-gz"] as const) {
    it(`reads an archive made by tar --format=${format}`, async () => {
      const out = join(dir, `system-${format}.tar`);
      const args =
        format === "ustar-gz"
          ? ["-czf", out, "--format=ustar", "-C", join(dir, "src"), "plain.txt", "empty", "sub", "link"]
          : ["-cf", out, `--format=${format}`, "-C", join(dir, "src"), "."];
      execFileSync("tar", args);
      const entries = await readTarEntries(gunzipIfNeeded(streamOf(new Uint8Array(readFileSync(out)), 4000)));
      const byName = new Map(entries.map((e) => [e.name.replace(/^\.\//, ""), e]));
      expect(dec.decode(byName.get("plain.txt")!.data)).toBe("plain\n");
      expect(byName.get("empty")!.data.length).toBe(0);
      expect(byName.get("sub/")!.type).toBe("directory");
      expect(Buffer.from(byName.get("sub/deeper/data.bin")!.data).equals(Buffer.alloc(5000, 0xab))).toBe(true);
      expect(dec.decode(byName.get("sub/日本語.txt")!.data)).toBe("unicode\n");
      expect(byName.get("link")).toMatchObject({ type: "symlink", linkname: "plain.txt" });
      if (format !== "ustar-gz") expect(dec.decode(byName.get("l".repeat(150))!.data)).toBe("long name\n");
    });
  }

  it("writes archives that tar lists and extracts", async () => {
    const archive = await tarBytes(sampleEntries());
    const listing = execFileSync("tar", ["-tvf", "-"], { input: archive, env: { ...process.env, TZ: "UTC" } }).toString();
    const names = listing.trim().split("\n").map((line) => line.replace(/^.*?\d\d:\d\d /, "").replace(/ -> .*$/, "").replace(/ link to .*$/, ""));
    expect(names).toEqual([
      "hello.txt", "empty", "dir/", LONG_SPLITTABLE, LONG_UNSPLITTABLE, VERY_LONG, UNICODE, "link", "long-link", "hard", "streamed.bin", "big.bin", "ids",
    ]);
    expect(listing).toMatch(/-rw------- alice\/staff\s+12 2024-05-06 07:08 hello.txt/);
    expect(listing).toContain("link -> hello.txt");

    const target = join(dir, "extracted");
    mkdirSync(target);
    execFileSync("tar", ["-xf", "-", "-C", target], { input: archive });
    expect(readFileSync(join(target, "hello.txt"), "utf8")).toBe("hello world\n");
    expect(readFileSync(join(target, VERY_LONG), "utf8")).toBe("very long");
    expect(readFileSync(join(target, UNICODE), "utf8")).toBe("unicode ✓");
    expect(readFileSync(join(target, "big.bin")).equals(Buffer.from(BIG_BYTES))).toBe(true);
    expect(readFileSync(join(target, "streamed.bin")).length).toBe(100_003);
    expect(lstatSync(join(target, "link")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(target, "link"))).toBe("hello.txt");
    expect(lstatSync(join(target, "hard")).nlink).toBe(2);
  });
});
