import { describe, expect, it } from "vitest";
import { IgnoreMatcher, cleanPath, parseDockerignore } from "../../src/server/build/dockerignore.ts";
import { packContext, type ContextFileSystem } from "../../src/server/build/context.ts";

const matcher = (text: string) => new IgnoreMatcher(parseDockerignore(text));

describe(".dockerignore parsing", () => {
  it("skips comments and blanks, trims, cleans, strips a leading slash", () => {
    expect(parseDockerignore("# c\n\n  *.log  \n/abs/x\n!  keep.log\n./a/../b\n")).toEqual(["*.log", "abs/x", "!keep.log", "b"]);
  });
  it("a # after whitespace is a pattern, like the CLI", () => {
    expect(parseDockerignore(" #x")).toEqual(["#x"]);
  });
  it("cleans paths like Go", () => {
    expect(cleanPath("a//b/./c/..")).toBe("a/b");
    expect(cleanPath("../x")).toBe("../x");
    expect(cleanPath("/../x")).toBe("/x");
  });
});

describe(".dockerignore matching", () => {
  it("* stays within a directory, ** crosses them", () => {
    const m = matcher("*.log\n**/*.tmp\ndocs/**\n");
    expect(m.excludes("a.log")).toBe(true);
    expect(m.excludes("sub/a.log")).toBe(false);
    expect(m.excludes("x.tmp")).toBe(true);
    expect(m.excludes("a/b/c/x.tmp")).toBe(true);
    expect(m.excludes("docs/a/b")).toBe(true);
    expect(m.excludes("docsy")).toBe(false);
  });
  it("a matched directory excludes what is under it", () => {
    const m = matcher("node_modules\n");
    expect(m.excludes("node_modules")).toBe(true);
    expect(m.excludes("node_modules/x/y.js")).toBe(true);
    expect(m.excludes("src/node_modules")).toBe(false);
  });
  it("! exceptions, last match wins", () => {
    const m = matcher("*.md\n!README.md\nREADME-secret.md\n");
    expect(m.excludes("a.md")).toBe(true);
    expect(m.excludes("README.md")).toBe(false);
    expect(m.excludes("README-secret.md")).toBe(true);
    const again = matcher("!README.md\n*.md\n");
    expect(again.excludes("README.md")).toBe(true);
  });
  it("? and character classes and escapes", () => {
    const m = matcher("file?.txt\n[ab].c\n[!x]y\nq\\*\n");
    expect(m.excludes("file1.txt")).toBe(true);
    expect(m.excludes("file10.txt")).toBe(false);
    expect(m.excludes("a.c")).toBe(true);
    expect(m.excludes("c.c")).toBe(false);
    expect(m.excludes("zy")).toBe(true);
    expect(m.excludes("xy")).toBe(false);
    expect(m.excludes("q*")).toBe(true);
    expect(m.excludes("qq")).toBe(false);
  });
  it("regex specials in names are literal", () => {
    const m = matcher("a+b.(c)\n");
    expect(m.excludes("a+b.(c)")).toBe(true);
    expect(m.excludes("aab.(c)")).toBe(false);
  });
});

function memoryFs(files: Record<string, string>): ContextFileSystem {
  const enc = new TextEncoder();
  const dirs = new Set<string>(["/ctx"]);
  for (const path of Object.keys(files)) {
    const parts = path.split("/");
    for (let i = 2; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return {
    async readdir(path) {
      const names = new Set<string>();
      for (const p of [...Object.keys(files), ...dirs]) if (p.startsWith(`${path}/`)) names.add(p.slice(path.length + 1).split("/")[0]!);
      return [...names];
    },
    async lstat(path) {
      if (dirs.has(path)) return { kind: "directory", size: 0, mode: 0o40755, mtimeMs: 0 };
      if (path in files) return { kind: "file", size: enc.encode(files[path]!).length, mode: 0o100644, mtimeMs: 0 };
      throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    },
    readlink: async () => "",
    open: (path) => new Blob([files[path]!]).stream() as ReadableStream<Uint8Array>,
    readText: async (path) => files[path],
  };
}

describe("packing a context", () => {
  it("honours .dockerignore but always sends the Dockerfile and .dockerignore", async () => {
    const fs = memoryFs({
      "/ctx/Dockerfile": "FROM scratch",
      "/ctx/.dockerignore": "*\n!keep/**\n",
      "/ctx/drop.txt": "x",
      "/ctx/keep/a.txt": "a",
      "/ctx/keep/deep/b.txt": "b",
    });
    const { entries, dockerfile } = await packContext(fs, "/ctx");
    const names: string[] = [];
    for await (const e of entries) if (e.type !== "directory") names.push(e.name);
    expect(dockerfile).toBe("Dockerfile");
    expect(names.sort()).toEqual([".dockerignore", "Dockerfile", "keep/a.txt", "keep/deep/b.txt"]);
  });

  it("adds a Dockerfile from outside the context under a generated name", async () => {
    const fs = memoryFs({ "/ctx/a.txt": "a", "/elsewhere/Dockerfile.dev": "FROM scratch\nCOPY a.txt /" });
    const { entries, dockerfile } = await packContext(fs, "/ctx", { dockerfile: "/elsewhere/Dockerfile.dev" });
    expect(dockerfile).toMatch(/^\.dockerfile\.[0-9a-f]{20}$/);
    const names: string[] = [];
    let ignore = "";
    for await (const e of entries) {
      names.push(e.name);
      if (e.name === ".dockerignore") ignore = e.data as string;
    }
    // As the CLI does: a .dockerignore naming it, so the engine drops it after reading it.
    expect(names).toEqual(["a.txt", dockerfile, ".dockerignore"]);
    expect(ignore).toBe(`${dockerfile}\n`);
  });

  it("adds the generated Dockerfile name to an existing .dockerignore", async () => {
    const fs = memoryFs({ "/ctx/a.txt": "a", "/ctx/.dockerignore": "*.log", "/elsewhere/Dockerfile.dev": "FROM scratch" });
    const { entries, dockerfile } = await packContext(fs, "/ctx", { dockerfile: "/elsewhere/Dockerfile.dev" });
    const texts = new Map<string, unknown>();
    for await (const e of entries) texts.set(e.name, e.data);
    expect([...texts.keys()]).toEqual([".dockerignore", "a.txt", dockerfile]);
    expect(texts.get(".dockerignore")).toBe(`*.log\n${dockerfile}\n`);
  });

  it("refuses a context that is not a directory", async () => {
    await expect(packContext(memoryFs({}), "/nope")).rejects.toThrow(/not a directory/);
  });
});
