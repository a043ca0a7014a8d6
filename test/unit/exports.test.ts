// package.json (npm, through dist/ built by tsup), deno.json (JSR, the .ts sources) and
// tsup.config.ts must agree: the same subpaths, each leading to the adapter of its runtime, and
// every adapter offering the whole core plus its own Docker.
/// <reference types="node" />
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import tsupConfig from "../../tsup.config.ts";
import * as core from "../../src/index.ts";

const root = new URL("../../", import.meta.url);
const readJson = (name: string) => JSON.parse(readFileSync(new URL(name, root), "utf8"));
const pkg = readJson("package.json");
const deno = readJson("deno.json");

const RUNTIMES = ["node", "bun", "deno", "browser"] as const;
type Runtime = (typeof RUNTIMES)[number];

/** The dist files tsup writes for a runtime's entry. */
function distFiles(name: Runtime, format: "import" | "require" | "types"): string {
  return { import: `./dist/${name}.js`, require: `./dist/${name}.cjs`, types: `./dist/${name}.d.ts` }[format];
}

describe("package exports", () => {
  it("package.json and deno.json have the same subpaths", () => {
    const npmSubpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json").sort();
    expect(Object.keys(deno.exports).sort()).toEqual(npmSubpaths);
    expect(npmSubpaths).toEqual([".", ...RUNTIMES.map((r) => `./${r}`)].sort());
  });

  it("each deno.json subpath is its runtime's adapter source, and `.` is Deno's", () => {
    for (const runtime of RUNTIMES) {
      expect(deno.exports[`./${runtime}`]).toBe(`./adapters/${runtime}.ts`);
      expect(existsSync(new URL(`adapters/${runtime}.ts`, root))).toBe(true);
    }
    expect(deno.exports["."]).toBe("./adapters/deno.ts");
  });

  it("each package.json subpath leads to its runtime's build", () => {
    for (const runtime of RUNTIMES) {
      const entry = pkg.exports[`./${runtime}`];
      expect(entry.import).toBe(distFiles(runtime, "import"));
      expect(entry.types).toBe(distFiles(runtime, "types"));
      // Deno loads ESM only: its build has no CommonJS file.
      if (runtime === "deno") expect(entry.require).toBeUndefined();
      else expect(entry.require).toBe(distFiles(runtime, "require"));
    }
  });

  it("the root picks the adapter by runtime condition, browsers' by default", () => {
    const conditions = pkg.exports["."];
    for (const runtime of RUNTIMES) expect(conditions[runtime]).toEqual(pkg.exports[`./${runtime}`]);
    expect(conditions.workerd).toEqual({ types: distFiles("browser", "types"), import: distFiles("browser", "import") });
    expect(conditions.default).toEqual(pkg.exports["./browser"]);
    // Resolvers take the first matching condition: the runtimes that also match `node` (Bun, and
    // Deno for npm packages) must come before it, and `default` last.
    const order = Object.keys(conditions);
    expect(order.indexOf("bun")).toBeLessThan(order.indexOf("node"));
    expect(order.indexOf("deno")).toBeLessThan(order.indexOf("node"));
    expect(order.at(-1)).toBe("default");
    expect(pkg.main).toBe(distFiles("node", "require"));
    expect(pkg.module).toBe(distFiles("node", "import"));
  });

  it("tsup builds one entry per runtime from its adapter", () => {
    const entries = (tsupConfig as Array<{ entry: Record<string, string>; format?: string[] }>).flatMap((c) => Object.entries(c.entry).map(([name, file]) => ({ name, file, format: c.format })));
    expect([...new Set(entries.map((e) => e.name))].sort()).toEqual([...RUNTIMES].sort());
    for (const e of entries) expect(e.file).toBe(`adapters/${e.name}.ts`);
    // Each runtime's formats, over all configs of its entry (the browser's ESM build is split on
    // its own so what browsers cannot use stays in lazy chunks).
    for (const runtime of RUNTIMES) {
      const formats = entries.filter((e) => e.name === runtime).flatMap((e) => e.format ?? []).sort();
      expect(formats, runtime).toEqual(runtime === "deno" ? ["esm"] : ["cjs", "esm"]);
    }
  });

  it("deno.json is versioned with package.json and publishes the sources, not the tests", () => {
    expect(deno.version).toBe(pkg.version);
    expect(deno.name).toMatch(/^@[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(deno.publish.include).toEqual(expect.arrayContaining(["adapters/", "src/"]));
    for (const path of deno.publish.include as string[]) expect(path).not.toMatch(/^(test|bench|scripts|dist|node_modules)\b/);
  });

  it("every adapter exports the whole core and a Docker of its own with fromEnv", async () => {
    const coreNames = Object.keys(core).sort();
    for (const runtime of RUNTIMES) {
      const adapter = (await import(`../../adapters/${runtime}.ts`)) as Record<string, unknown> & { Docker: typeof core.Docker & { fromEnv?: unknown } };
      for (const name of coreNames) {
        if (name === "Docker") continue;
        expect(adapter[name], `${runtime} exports ${name}`).toBe((core as Record<string, unknown>)[name]);
      }
      expect(adapter.Docker).not.toBe(core.Docker);
      expect(Object.getPrototypeOf(adapter.Docker)).toBe(core.Docker);
      if (runtime !== "browser") {
        expect(typeof adapter.Docker.fromEnv, `${runtime} Docker.fromEnv`).toBe("function");
        expect(typeof (adapter.Docker as { fromContext?: unknown }).fromContext, `${runtime} Docker.fromContext`).toBe("function");
      }
    }
  });
});
