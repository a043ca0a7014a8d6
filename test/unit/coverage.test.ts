// Every operation of the spec has a public method, and every named method exists.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as berth from "../../adapters/node.ts";
import { coverage, coverageMarkdown } from "../../scripts/api-coverage.ts";
import { operations } from "../../src/generated/operations.ts";
import { FetchTransport } from "../../src/transport/fetch.ts";

const docker = new berth.Docker({ transport: new FetchTransport("http://unused.invalid") });

function resolve(entry: string): unknown {
  if (entry.includes("#")) {
    const [cls, method] = entry.split("#") as [string, string];
    const Class = (berth as Record<string, unknown>)[cls] as { prototype: Record<string, unknown> } | undefined;
    return Class?.prototype?.[method];
  }
  let target: unknown = { docker };
  for (const part of entry.split(".")) target = (target as Record<string, unknown> | undefined)?.[part];
  return target;
}

describe("API coverage", () => {
  it.each(operations.map((op) => [op.id]))("%s is served by a public method", (id) => {
    const methods = coverage[id] ?? [];
    expect(methods.length, `${id} has no method in scripts/api-coverage.ts`).toBeGreaterThan(0);
    for (const m of methods) expect(typeof resolve(m), `${m} does not exist`).toBe("function");
  });

  it("names no operation the spec lacks", () => {
    const ids = new Set<string>(operations.map((op) => op.id));
    expect(Object.keys(coverage).filter((id) => !ids.has(id))).toEqual([]);
  });

  it("docs/coverage.md is current", () => {
    expect(readFileSync(new URL("../../docs/coverage.md", import.meta.url), "utf8")).toBe(coverageMarkdown());
  });
});
