// Safe extraction and directory packing (Node adapter), on real temporary directories.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DockerStreamError, extractTar, packDirectory, readTarEntries, tarStream } from "../../adapters/node.ts";

const temp = () => mkdtempSync(join(tmpdir(), "berth-archive-"));

describe("extractTar", () => {
  it("extracts files, directories, symlinks and modes", async () => {
    const dir = temp();
    const names = await extractTar(
      tarStream([
        { name: "a", type: "directory" },
        { name: "a/file.txt", data: "hello", mode: 0o640 },
        { name: "a/link", type: "symlink", linkname: "file.txt" },
        { name: "a/hard", type: "hardlink", linkname: "a/file.txt" },
      ]),
      dir,
    );
    expect(names).toEqual(["a", "a/file.txt", "a/link", "a/hard"]);
    expect(readFileSync(join(dir, "a/file.txt"), "utf8")).toBe("hello");
    expect(lstatSync(join(dir, "a/file.txt")).mode & 0o777).toBe(0o640);
    expect(readlinkSync(join(dir, "a/link"))).toBe("file.txt");
    expect(readFileSync(join(dir, "a/hard"), "utf8")).toBe("hello");
  });

  it("refuses names that escape the target", async () => {
    for (const name of ["../evil", "a/../../evil"]) {
      const dir = temp();
      await expect(extractTar(tarStream([{ name, data: "x" }]), join(dir, "out"))).rejects.toBeInstanceOf(DockerStreamError);
      expect(existsSync(join(dir, "evil"))).toBe(false);
    }
  });

  it("never writes through a symlink the archive planted", async () => {
    const dir = temp();
    const outside = temp();
    const err = await extractTar(
      tarStream([
        { name: "link", type: "symlink", linkname: outside },
        { name: "link/owned.txt", data: "gotcha" },
      ]),
      dir,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(existsSync(join(outside, "owned.txt"))).toBe(false);
  });

  it("replaces a symlink at a file's place instead of following it", async () => {
    const dir = temp();
    const outside = temp();
    writeFileSync(join(outside, "target.txt"), "original");
    symlinkSync(join(outside, "target.txt"), join(dir, "f.txt"));
    await extractTar(tarStream([{ name: "f.txt", data: "new" }]), dir);
    expect(readFileSync(join(outside, "target.txt"), "utf8")).toBe("original");
    expect(readFileSync(join(dir, "f.txt"), "utf8")).toBe("new");
  });

  it("strips leading components and reads gzip", async () => {
    const dir = temp();
    const gz = tarStream([{ name: "top/inner/x.txt", data: "x" }]).pipeThrough(new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
    expect(await extractTar(gz, dir, { strip: 1 })).toEqual(["inner/x.txt"]);
    expect(readFileSync(join(dir, "inner/x.txt"), "utf8")).toBe("x");
  });
});

describe("extractTar modes", () => {
  // The test process's umask, read the way the extractor reads it.
  const umask = process.umask();

  it("drops setuid, setgid and sticky bits and applies the umask by default", async () => {
    const dir = temp();
    await extractTar(
      tarStream([
        { name: "suid", data: "#!/bin/sh\n", mode: 0o4755 },
        { name: "sgid", data: "x", mode: 0o2775 },
        { name: "open", data: "x", mode: 0o777 },
        { name: "sticky", type: "directory", mode: 0o1777 },
      ]),
      dir,
    );
    expect(lstatSync(join(dir, "suid")).mode & 0o7777).toBe(0o755 & ~umask);
    expect(lstatSync(join(dir, "sgid")).mode & 0o7777).toBe(0o775 & ~umask);
    expect(lstatSync(join(dir, "open")).mode & 0o7777).toBe(0o777 & ~umask);
    expect(lstatSync(join(dir, "sticky")).mode & 0o7777).toBe(0o777 & ~umask);
  });

  it("keeps the special bits with keepSpecialBits", async () => {
    const dir = temp();
    await extractTar(
      tarStream([
        { name: "suid", data: "x", mode: 0o4755 },
        { name: "sticky", type: "directory", mode: 0o1777 },
      ]),
      dir,
      { keepSpecialBits: true },
    );
    expect(lstatSync(join(dir, "suid")).mode & 0o7777).toBe(0o4755 & ~umask);
    expect(lstatSync(join(dir, "sticky")).mode & 0o7777).toBe(0o1777 & ~umask);
  });
});

describe("extractTar hard links", () => {
  it("a hard link to a path the archive never wrote is a DockerStreamError, not ENOENT", async () => {
    const dir = temp();
    const err = await extractTar(tarStream([{ name: "h", type: "hardlink", linkname: "missing" }]), dir).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toContain('"missing"');
    expect(existsSync(join(dir, "h"))).toBe(false);
  });

  it("a hard link to a directory is a DockerStreamError", async () => {
    const dir = temp();
    const err = await extractTar(
      tarStream([
        { name: "d", type: "directory" },
        { name: "h", type: "hardlink", linkname: "d" },
      ]),
      dir,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
  });
});

describe("packDirectory", () => {
  it("packs a tree relative to the directory, honouring .dockerignore", async () => {
    const dir = temp();
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "a.txt"), "a");
    writeFileSync(join(dir, "skip.log"), "no");
    writeFileSync(join(dir, ".dockerignore"), "*.log\n");
    symlinkSync("sub/a.txt", join(dir, "ln"));
    const entries = await readTarEntries(await packDirectory(dir));
    const byName = Object.fromEntries(entries.map((e) => [e.name.replace(/\/$/, ""), e]));
    expect(Object.keys(byName).sort()).toEqual([".dockerignore", "ln", "sub", "sub/a.txt"]);
    expect(new TextDecoder().decode(byName["sub/a.txt"]!.data)).toBe("a");
    expect(byName.ln!.linkname).toBe("sub/a.txt");
  });
});
