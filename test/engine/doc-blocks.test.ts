// The doc blocks marked `<!-- doc-check: run -->` (README.md, docs/*.md) run as written against
// the local engine under Node, and leave nothing behind. Two things differ from a reader's run,
// both here and nowhere else: `busybox` means the offline test image, and "berth-docker" is
// test/engine/doc-blocks-shim.ts, which labels what the block creates so it can be found.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { collectBlocks, moduleName, ROOT } from "../../scripts/check-doc-blocks.mjs";
import { cleanup, IMAGE, useEngine } from "./helpers.ts";
import { created, runLabels } from "./doc-blocks-shim.ts";

const SHIM = fileURLToPath(new URL("./doc-blocks-shim.ts", import.meta.url));

/** The block as the test runs it: the shim for the package, the test image for busybox. */
export function runnable(code: string): string {
  return code
    .replace(/(from\s+|import\s*\(\s*)(["'])berth-docker(\/node)?\2/g, (_, lead) => `${lead}${JSON.stringify(SHIM)}`)
    .replace(/(Image:\s*|\.run\(\s*)(["'])busybox\2/g, (_, lead) => `${lead}${JSON.stringify(IMAGE)}`)
    .replace(/\bFROM busybox\b/g, `FROM ${IMAGE}`);
}

const blocks = collectBlocks().filter((b) => b.run);
const { docker, labels, run } = useEngine();
const dir = mkdtempSync(join(tmpdir(), "berth-doc-run-"));
afterAll(async () => {
  await cleanup(docker, run);
  rmSync(dir, { recursive: true, force: true });
});

describe("runnable doc blocks", () => {
  it("include the README quick start and docs/api.md examples", () => {
    const where = blocks.map((b) => relative(ROOT, b.file));
    expect(where[0]).toBe("README.md");
    expect(where.filter((w) => w === "docs/api.md").length).toBeGreaterThanOrEqual(2);
  });

  it("import berth only as the Node build, which the shim stands for", () => {
    const others = blocks.flatMap((b) =>
      [...b.code.matchAll(/from\s+["']([^"']+)["']/g)]
        .map((m) => m[1]!)
        .filter((spec) => !/^(berth-docker(\/node)?|node:.*)$/.test(spec))
        .map((spec) => `${relative(ROOT, b.file)}:${b.line} imports ${spec}`),
    );
    expect(others).toEqual([]);
  });

  it("rewrite only the package and the image", () => {
    const code = 'import { Docker } from "berth-docker";\nx.run("busybox", ["echo", "busybox"]);\nf({ Image: "busybox" });\n"FROM busybox\\n"';
    const image = JSON.stringify(IMAGE);
    expect(runnable(code)).toBe(
      `import { Docker } from ${JSON.stringify(SHIM)};\nx.run(${image}, ["echo", "busybox"]);\nf({ Image: ${image} });\n"FROM ${IMAGE}\\n"`,
    );
  });

  for (const block of blocks) {
    it(`${relative(ROOT, block.file)}:${block.line} runs and removes what it made`, async () => {
      Object.assign(runLabels, labels);
      created.length = 0;
      const file = join(dir, moduleName(block).replace(/\.ts$/, ".mts").replace(/\.js$/, ".mjs"));
      writeFileSync(file, runnable(block.code) + "\n");
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      try {
        await import(pathToFileURL(file).href);
      } finally {
        log.mockRestore();
      }
      // What it created carried the labels (so the checks below see it)...
      if (/\.(containers|networks|volumes)\.(create|run)\(/.test(block.code)) expect(created.length).toBeGreaterThan(0);
      // ...and each block cleans up after itself, as a reader's program should.
      const filters = { label: [`berth.test.run=${run}`] };
      expect((await docker.containers.list({ all: true, filters })).map((c) => c.id)).toEqual([]);
      expect((await docker.networks.list({ filters })).map((n) => n.name)).toEqual([]);
      expect((await docker.volumes.list({ filters })).map((v) => v.name)).toEqual([]);
    });
  }
});
