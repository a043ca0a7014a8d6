// Every operation of the spec has a public method, and every named method exists. The table is read
// off the code (scripts/api-coverage.ts) plus a hand list for what the code does not say plainly.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as berth from "../../adapters/node.ts";
import { HAND_WRITTEN, coverageMarkdown, coverageTable, scannedCoverage } from "../../scripts/api-coverage.ts";
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

const coverage = coverageTable();

describe("API coverage", () => {
  it.each(operations.map((op) => [op.id]))("%s is served by a public method", (id) => {
    const methods = coverage[id] ?? [];
    expect(methods.length, `${id} has no method in scripts/api-coverage.ts`).toBeGreaterThan(0);
    for (const m of methods) expect(typeof resolve(m), `${m} does not exist`).toBe("function");
  });

  it("names no operation the spec lacks", () => {
    const ids = new Set<string>(operations.map((op) => op.id));
    expect(Object.keys(HAND_WRITTEN).filter((id) => !ids.has(id))).toEqual([]);
  });

  it("lists by hand only what the code does not show", () => {
    const scanned = scannedCoverage();
    const repeated = Object.entries(HAND_WRITTEN).flatMap(([id, methods]) => methods.filter((m) => scanned[id]?.includes(m)).map((m) => `${id}: ${m}`));
    expect(repeated).toEqual([]);
  });

  it("finds the endpoint functions the methods call", () => {
    const scanned = scannedCoverage();
    expect(scanned.NodeDelete).toEqual(["Node#remove"]);
    expect(scanned.SecretInspect?.sort()).toEqual(["Secret#inspect", "docker.secrets.get"]);
    expect(scanned.ContainerStart).toEqual(["Container#start"]);
  });

  it("docs/coverage.md is current", () => {
    expect(readFileSync(new URL("../../docs/coverage.md", import.meta.url), "utf8")).toBe(coverageMarkdown());
  });
});
