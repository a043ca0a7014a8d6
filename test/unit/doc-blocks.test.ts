// Every ts/js code block of README.md and docs/*.md type-checks under strict TypeScript
// (scripts/check-doc-blocks.mjs), and the checker itself reports a broken block where it is.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkBlocks, collectBlocks, docFiles, extractBlocks, formatFailures, ROOT } from "../../scripts/check-doc-blocks.mjs";

const SLOW = 120_000; // one TypeScript program over berth's sources: seconds, more on a busy machine

describe("documentation code blocks", () => {
  const blocks = collectBlocks();

  it(
    "all type-check under strict TypeScript",
    () => {
      const failures = checkBlocks(blocks);
      // The message is the list of `file.md:line: TSnnnn: ...`, one per error.
      expect(failures, `\n${formatFailures(failures)}\n`).toEqual([]);
    },
    SLOW,
  );

  it("cover the README and every docs page, the quick start first", () => {
    const checked = blocks.filter((b) => b.checked);
    expect(checked.length).toBeGreaterThanOrEqual(36);
    expect(docFiles()).toEqual(expect.arrayContaining([join(ROOT, "README.md"), join(ROOT, "docs", "api.md")]));
    expect(new Set(checked.map((b) => b.file)).size).toBeGreaterThanOrEqual(6);
    const readme = checked.filter((b) => b.file === join(ROOT, "README.md"));
    expect(readme[0]?.code).toContain('import { Docker } from "berth-docker"');
    expect(readme[0]?.run).toBe(true);
  });

  it("skip no TypeScript block", () => {
    expect(blocks.filter((b) => b.kind === "ts" && !b.checked && !b.info)).toEqual([]);
  });
});

describe("the doc-block checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-doc-check-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("extracts fences with their markers and languages", () => {
    const md = [
      "# t", //                                      1
      "```ts", //                                    2
      "const a: number = 1;", //                     3
      "```", //                                      4
      "<!-- doc-check: run -->", //                  5
      "```js", //                                    6
      "console.log(1);", //                          7
      "```", //                                      8
      "```js dockerode", //                          9
      "docker.getContainer('x')", //                10
      "```", //                                     11
      "```python", //                               12
      "import docker", //                           13
      "```", //                                     14
      "<!-- doc-check: skip (a shell session) -->", // 15
      "```javascript", //                           16
      "$ node app.js", //                           17
      "```", //                                     18
      "````ts", //                                  19
      "```", //                                     20
      "````", //                                    21
    ].join("\n");
    const got = extractBlocks(md, "x.md").map(({ line, lang, checked, run, problem }) => ({ line, lang, checked, run, problem }));
    expect(got).toEqual([
      { line: 2, lang: "ts", checked: true, run: false, problem: undefined },
      { line: 6, lang: "js", checked: true, run: true, problem: undefined },
      { line: 9, lang: "js", checked: false, run: false, problem: undefined },
      { line: 12, lang: "python", checked: false, run: false, problem: undefined },
      { line: 16, lang: "javascript", checked: false, run: false, problem: undefined },
      { line: 19, lang: "ts", checked: true, run: false, problem: undefined },
    ]);
    expect(extractBlocks(md, "x.md")[5]?.code).toBe("```");
  });

  it("refuses a skipped TypeScript block, a skip without a reason, and unknown markers", () => {
    const problems = (md: string) => extractBlocks(md, "x.md").map((b) => b.problem);
    expect(problems("<!-- doc-check: skip (fragment) -->\n```ts\nx\n```")).toEqual([
      "doc-check: skip on a TypeScript block: every TypeScript block must compile",
    ]);
    expect(problems("<!-- doc-check: skip -->\n```sh\nx\n```")[0]).toMatch(/needs a reason/);
    expect(problems("<!-- doc-check: maybe -->\n```ts\nx\n```")[0]).toMatch(/unknown doc-check marker "maybe"/);
    expect(problems('```ts title="a.ts"\nx\n```')[0]).toMatch(/unknown fence info/);
    expect(problems("<!-- doc-check: run -->\n```sh\nls\n```")[0]).toMatch(/not checked berth code/);
  });

  it(
    "reports each broken block at its markdown line, strict and with the prelude",
    () => {
      const file = join(dir, "page.md");
      writeFileSync(
        file,
        [
          "Text.", //                                                        1
          "```ts", //                                                        2
          'import { Docker } from "berth-docker";', //                        3
          "const d = Docker.fromEnv();", //                                   4
          "await d.ping();", //                                               5
          "await docker.containers.list();", //                               6 prelude: fine
          "```", //                                                          7
          "```ts", //                                                        8
          "const n: number = await docker.ping();", //                        9 a string
          "```", //                                                         10
          "```js", //                                                       11
          "const s = await c.inspect();", //                                 12
          "console.log(s.State.Running);", //                                13 strict: possibly undefined
          "```", //                                                         14
          "```ts", //                                                       15
          'import { Docker } from "berth-docker/browser";', //                16
          'new Docker({ url: "http://127.0.0.1:2375", socketPath: "/s" });', // 17 not in the browser build
          "```", //                                                         18
          "```ts", //                                                       19
          "function f(x) { return x; }", //                                  20 implicit any
          "```", //                                                         21
        ].join("\n"),
      );
      const failures = checkBlocks(extractBlocks(readFileSync(file, "utf8"), file));
      expect(failures.map((f) => `${f.line}: ${f.message.split(":")[0]}`)).toEqual([
        "9: TS2322",
        "13: TS18049",
        "17: TS2353",
        "20: TS7006",
      ]);
      expect(formatFailures(failures, dir).split("\n")[0]).toMatch(/^page\.md:9: TS2322: Type 'string' is not assignable to type 'number'/);
    },
    SLOW,
  );
});

describe("the stability contract", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    version: string;
    engines: { node: string };
    devDependencies: Record<string, string>;
  };
  const table = readme.slice(readme.indexOf("### Supported engines and runtimes"));
  const row = (name: string) => table.split("\n").find((l) => l.startsWith(`| ${name} |`)) ?? "";

  it("names the runtimes and API range the package and its CI pin", async () => {
    const { MIN_API_VERSION, MAX_API_VERSION } = await import("../../src/request/version.ts");
    expect(row("Engine API")).toContain(`${MIN_API_VERSION} to ${MAX_API_VERSION}`);
    expect(row("Node")).toContain(`\`engines.node\` is \`${pkg.engines.node}\``);
    expect(row("Bun")).toContain(pkg.devDependencies["@oven/bun-linux-x64"]);
    expect(row("Deno")).toContain(pkg.devDependencies["@deno/linux-x64-glibc"]);
    expect(row("Edge")).toContain(pkg.devDependencies["@cloudflare/workerd-linux-64"]!.replace(/\.\d+$/, ""));
  });

  it("has a CHANGELOG with an Unreleased section and one for package.json's version", () => {
    const changelog = readFileSync(join(ROOT, "CHANGELOG.md"), "utf8");
    const headings = changelog.split("\n").filter((l) => l.startsWith("## "));
    expect(headings[0]).toBe("## [Unreleased]");
    expect(headings).toContainEqual(expect.stringMatching(new RegExp(`^## \\[${pkg.version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`)));
    // Linked absolutely: the packages ship README.md and docs/, not the changelog.
    expect(readme).toContain("[CHANGELOG.md](https://github.com/berth-docker/berth/blob/main/CHANGELOG.md)");
  });
});
