// The core must run on any runtime: nothing under src/ may import node:* or touch Deno or Bun.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const forbidden = [
  /from\s+["']node:/,
  /import\(\s*["']node:/,
  /require\(\s*["']node:/,
  /from\s+["'](fs|net|http|https|tls|path|os|child_process|stream|crypto|buffer|events|url|util)(\/[^"']*)?["']/,
  /\bDeno\./,
  /\bBun\./,
  /\bprocess\.(env|platform|versions)/,
  /\bBuffer\.(from|alloc|concat|byteLength|isBuffer)\(/,
];

describe("portability", () => {
  const sources = files(new URL("../../src", import.meta.url).pathname);

  it("finds the core's sources", () => {
    expect(sources.length).toBeGreaterThan(5);
  });

  it.each(sources)("%s uses no runtime-specific API", (file) => {
    const text = readFileSync(file, "utf8");
    for (const pattern of forbidden) expect(text, `${file} matches ${pattern}`).not.toMatch(pattern);
  });

  it("adapters import the core only through relative paths", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});
