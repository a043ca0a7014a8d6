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
/** Entries that are not a runtime's: berth-docker/lite, standalone functions over fetch. */
const EXTRA = ["lite"] as const;
type Runtime = (typeof RUNTIMES)[number] | (typeof EXTRA)[number];

/** The dist files of a runtime's entry: tsup writes the JavaScript, scripts/build-types.mjs the types. */
const esm = (name: Runtime) => ({ types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` });
const cjs = (name: Runtime) => ({ types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` });
/** Node's and the browser's entries have both formats, each with declarations of its own format. */
const dual = (name: Runtime) => ({ import: esm(name), require: cjs(name) });

describe("package exports", () => {
  it("package.json and deno.json have the same subpaths", () => {
    const npmSubpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json").sort();
    expect(Object.keys(deno.exports).sort()).toEqual(npmSubpaths);
    expect(npmSubpaths).toEqual([".", ...[...RUNTIMES, ...EXTRA].map((r) => `./${r}`)].sort());
  });

  it("each deno.json subpath is its runtime's adapter source, and `.` is Deno's", () => {
    for (const runtime of [...RUNTIMES, ...EXTRA]) {
      expect(deno.exports[`./${runtime}`]).toBe(`./adapters/${runtime}.ts`);
      expect(existsSync(new URL(`adapters/${runtime}.ts`, root))).toBe(true);
    }
    expect(deno.exports["."]).toBe("./adapters/deno.ts");
  });

  it("each package.json subpath leads to its runtime's build", () => {
    expect(pkg.exports["./node"]).toEqual(dual("node"));
    expect(pkg.exports["./browser"]).toEqual(dual("browser"));
    expect(pkg.exports["./lite"]).toEqual(dual("lite"));
    // Bun and Deno load ESM (Bun's require() included): no CommonJS build.
    expect(pkg.exports["./bun"]).toEqual(esm("bun"));
    expect(pkg.exports["./deno"]).toEqual(esm("deno"));
  });

  it("the root picks the adapter by runtime condition; without one, the server build", () => {
    const conditions = pkg.exports["."];
    expect(conditions.bun).toEqual(esm("bun"));
    expect(conditions.deno).toEqual(esm("deno"));
    expect(conditions.workerd).toEqual(esm("browser"));
    expect(conditions.browser).toEqual(dual("browser"));
    // TypeScript under moduleResolution "bundler" (no custom conditions) matches only `types`,
    // `import` and `default`: it must land on the server build, which has Docker.fromEnv.
    expect(conditions.import).toEqual(esm("node"));
    expect(conditions.require).toEqual(cjs("node"));
    expect(conditions.default).toEqual(esm("node"));
    // Resolvers take the first matching condition: the runtime and browser conditions come before
    // the format conditions every resolver matches, and `default` last.
    const order = Object.keys(conditions);
    for (const runtime of ["bun", "deno", "workerd", "browser"]) {
      expect(order.indexOf(runtime), runtime).toBeLessThan(order.indexOf("import"));
      expect(order.indexOf(runtime), runtime).toBeLessThan(order.indexOf("require"));
    }
    expect(order.at(-1)).toBe("default");
    expect(pkg.main).toBe(cjs("node").default);
    expect(pkg.types).toBe(cjs("node").types);
  });

  it("tsup builds one entry per runtime from its adapter", () => {
    const entries = (tsupConfig as Array<{ entry: Record<string, string>; format?: string[] }>).flatMap((c) => Object.entries(c.entry).map(([name, file]) => ({ name, file, format: c.format })));
    expect([...new Set(entries.map((e) => e.name))].sort()).toEqual([...RUNTIMES, ...EXTRA].sort());
    for (const e of entries) expect(e.file).toBe(`adapters/${e.name}.ts`);
    for (const runtime of [...RUNTIMES, ...EXTRA]) {
      const formats = entries.filter((e) => e.name === runtime).flatMap((e) => e.format ?? []).sort();
      expect(formats, runtime).toEqual(runtime === "bun" || runtime === "deno" ? ["esm"] : ["cjs", "esm"]);
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
