#!/usr/bin/env node
// Type-checks every ```ts / ```js code block of README.md and docs/*.md under strict TypeScript.
//
// Each block becomes a module of its own in a temporary directory; one program (one tsc run,
// with tsconfig.json's options) checks them all, with `berth-docker` and its subpaths mapped to
// this checkout's adapters, and a small declared prelude (PRELUDE below) naming the free variables
// fragments lean on (`docker`, `c`, ...). Errors are reported as `file.md:line` of the markdown.
//
// Fence rules:
//   ```ts / ```typescript / ```js / ```javascript   checked
//   ```js dockerode, ```ts not-berth                 another library's code: not checked
//   any other language (sh, text, python, ...)      not checked
// An HTML comment on the line before a fence says more about the block:
//   <!-- doc-check: run -->             also run against the local engine (test/engine/doc-blocks.test.ts)
//   <!-- doc-check: skip (why) -->      not checked; refused on ts/typescript fences, and needs a reason
//
//   node scripts/check-doc-blocks.mjs          prints each broken block, exits 1 if any
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const CHECKED = new Map([["ts", "ts"], ["typescript", "ts"], ["js", "js"], ["javascript", "js"]]);
/** Info words after the language that mark another library's code. */
const NOT_BERTH = new Set(["dockerode", "not-berth"]);

/** The documentation files whose blocks are checked. */
export function docFiles(root = ROOT) {
  const docs = readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(root, "docs", name));
  return [join(root, "README.md"), ...docs];
}

/**
 * The fenced blocks of one markdown text. `line` is the 1-based line of the fence; the block's
 * first code line is `line + 1`. `checked` says whether the type check covers it; `problem` is a
 * misuse of the markers, reported like a type error.
 */
export function extractBlocks(markdown, file) {
  const lines = markdown.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, info] = open;
    const body = [];
    let j = i + 1;
    const close = new RegExp(`^\\s*\\${fence[0]}{${fence.length},}\\s*$`);
    while (j < lines.length && !close.test(lines[j])) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
      j++;
    }
    const marker = /^\s*<!--\s*doc-check:\s*(\w+)\s*(.*?)\s*-->\s*$/.exec(lines[i - 1] ?? "");
    const block = { file, line: i + 1, lang: lang.toLowerCase(), info: info.trim(), code: body.join("\n"), checked: false, run: false, problem: undefined };
    const kind = CHECKED.get(block.lang);
    const words = block.info ? block.info.split(/\s+/) : [];
    if (kind) {
      block.kind = kind;
      const unknown = words.filter((w) => !NOT_BERTH.has(w));
      if (unknown.length) block.problem = `unknown fence info "${unknown.join(" ")}" (known: ${[...NOT_BERTH].join(", ")})`;
      block.checked = words.length === 0;
    }
    if (marker) {
      const [, verb, rest] = marker;
      if (verb === "run") {
        if (!block.checked) block.problem = "doc-check: run on a block that is not checked berth code";
        block.run = true;
      } else if (verb === "skip") {
        if (!/^\(.+\)$/.test(rest)) block.problem = 'doc-check: skip needs a reason: <!-- doc-check: skip (why) -->';
        else if (kind === "ts") block.problem = "doc-check: skip on a TypeScript block: every TypeScript block must compile";
        block.checked = false;
      } else {
        block.problem = `unknown doc-check marker "${verb}" (known: run, skip)`;
      }
    }
    blocks.push(block);
    i = j;
  }
  return blocks;
}

/** Every block of the given markdown files (default: README.md and docs/*.md). */
export function collectBlocks(files = docFiles()) {
  return files.flatMap((file) => extractBlocks(readFileSync(file, "utf8"), file));
}

/** Module specifiers a block may import, and the file each one means in this checkout. */
export function pathMapping(root = ROOT) {
  const a = (name) => [join(root, "adapters", name)];
  return {
    "berth-docker": a("node.ts"),
    "berth-docker/node": a("node.ts"),
    "berth-docker/bun": a("bun.ts"),
    "berth-docker/deno": a("deno.ts"),
    "berth-docker/browser": a("browser.ts"),
    "berth-docker/lite": a("lite.ts"),
    // Deno's specifiers for the same package.
    "npm:berth-docker": a("deno.ts"),
    "jsr:@berth/docker": a("deno.ts"),
    "@berth/docker": a("deno.ts"),
  };
}

/** The name a block's module gets: where it came from, readable in a stack trace. */
export function moduleName(block, root = ROOT) {
  const rel = relative(root, block.file).replace(/[\\/]/g, "_").replace(/\.md$/, "");
  return `${rel}_${block.line}.${block.kind === "js" ? "js" : "ts"}`;
}

/**
 * What fragments may use without defining: a client, a container handle, and the values a
 * reader brings (credentials, PEM text). Globals, so a block that defines its own shadows them.
 */
export const PRELUDE = `
import type { Container, Docker } from "berth-docker";
declare global {
  const docker: Docker;
  const c: Container;
  const container: Container;
  /** Registry credentials and TLS material (PEM text) the reader has. */
  const username: string;
  const password: string;
  const ca: string;
  const cert: string;
  const key: string;
  /** The reader's own progress display. */
  function render(...values: unknown[]): void;
}
export {};
`;

/**
 * The repo's own compiler options (tsconfig.json: strict and whatever else it tightens), plus what
 * doc blocks need: JavaScript checked too, Node's types (examples read process.env and node:fs),
 * every block a module, and the package's specifiers mapped to the adapters.
 */
export function compilerOptions(root = ROOT) {
  const read = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const { options } = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  return {
    ...options,
    strict: true,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    moduleDetection: ts.ModuleDetectionKind.Force, // every block a module: no clashes between blocks
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
    skipLibCheck: true,
    paths: { ...options.paths, ...pathMapping(root) },
  };
}

/**
 * Type-checks the checked blocks as one program. Returns the failures: `{ file, line, message }`,
 * with `line` in the markdown file, plus marker misuse found by extractBlocks.
 */
export function checkBlocks(blocks, { root = ROOT, prelude = PRELUDE } = {}) {
  const failures = blocks
    .filter((b) => b.problem)
    .map((b) => ({ file: b.file, line: b.line, message: b.problem }));
  const checked = blocks.filter((b) => b.checked);
  const dir = mkdtempSync(join(tmpdir(), "berth-doc-blocks-"));
  try {
    const byPath = new Map();
    for (const block of checked) {
      const path = join(dir, moduleName(block, root));
      writeFileSync(path, block.code + "\n");
      byPath.set(path, block);
    }
    const options = compilerOptions(root);
    const preludePath = join(dir, "prelude.d.ts");
    writeFileSync(preludePath, prelude);
    const program = ts.createProgram([preludePath, ...byPath.keys()], options);
    const diagnostics = ts.getPreEmitDiagnostics(program);
    for (const d of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      const block = d.file && byPath.get(resolve(d.file.fileName));
      if (!block) {
        // In the prelude or berth's own sources: tsc -p . reports those too; name them here.
        const where = d.file ? `${relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : "(program)";
        failures.push({ file: where, line: 0, message: `TS${d.code}: ${message}` });
        continue;
      }
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      failures.push({ file: block.file, line: block.line + 1 + line, message: `TS${d.code}: ${message}` });
    }
    return failures.sort((x, y) => (x.file === y.file ? x.line - y.line : x.file < y.file ? -1 : 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per failure: `README.md:14: TS2304: Cannot find name 'x'.` */
export function formatFailures(failures, root = ROOT) {
  return failures
    .map((f) => `${f.line ? `${relative(root, f.file)}:${f.line}` : f.file}: ${f.message.replace(/\n/g, "\n    ")}`)
    .join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const blocks = collectBlocks();
  const failures = checkBlocks(blocks);
  const checked = blocks.filter((b) => b.checked).length;
  const run = blocks.filter((b) => b.run).length;
  if (failures.length) {
    console.error(formatFailures(failures));
    console.error(`\n${failures.length} error(s) in ${new Set(failures.map((f) => `${f.file}`)).size} file(s); ${checked} blocks checked`);
    process.exit(1);
  }
  console.log(`${checked} code blocks of README.md and docs/*.md type-check (${run} of them are run by test/engine/doc-blocks.test.ts)`);
}
