/// <reference types="node" />
// The generated files are committed, so these tests keep them honest: regenerated from the spec
// they must match byte for byte, the operation table must cover the spec, and the types must
// compile under `strict` and say what the spec says.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import { parse } from "yaml";
import { operations } from "../../src/generated/operations.ts";
import type {
  ContainerCreateBody,
  ContainerInspectResponse,
  ContainerState,
  Filters,
  OperationKey,
  Operations,
} from "../../src/generated/types.ts";
import { operationMinVersion, queryParamMinVersion } from "../../src/generated/versions.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const generatedDir = join(root, "src/generated");
const generator = join(root, "scripts/generate-types.mjs");
const specDir = process.env.BERTH_SPEC_DIR ?? fileURLToPath(new URL("../../../shared/docker-api/", import.meta.url));
const haveSpec = existsSync(join(specDir, "v1.55.yaml")) && existsSync(join(specDir, "v1.41.yaml"));
/** Every file under a directory, as paths relative to it, sorted. */
const filesUnder = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort();
// The three tables, and one file of endpoint functions per family.
const GENERATED_FILES = filesUnder(generatedDir);

type SpecOperation = { key: string; operationId: string; query: string[] };

function specOperations(version: string): SpecOperation[] {
  const spec = parse(readFileSync(join(specDir, `${version}.yaml`), "utf8"));
  const result: SpecOperation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(spec.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!op?.operationId) continue;
      const query = (op.parameters ?? []).filter((p: any) => p.in === "query").map((p: any) => p.name);
      result.push({ key: `${method.toUpperCase()} ${path}`, operationId: op.operationId, query });
    }
  }
  return result;
}

const key = (op: { method: string; path: string }) => `${op.method} ${op.path}`;

// Without ../shared (a bare checkout) these are skipped locally; under CI they run and fail loudly.
describe.skipIf(!haveSpec && process.env.CI !== "true")("generated files against the spec", () => {
  it("are up to date: regenerating them reproduces the committed bytes", () => {
    const out = mkdtempSync(join(tmpdir(), "berth-generated-"));
    try {
      execFileSync(process.execPath, [generator, "--out", out], {
        env: { ...process.env, BERTH_SPEC_DIR: specDir },
        stdio: "pipe",
      });
      expect(filesUnder(out)).toEqual(GENERATED_FILES);
      expect(GENERATED_FILES).toEqual(expect.arrayContaining(["operations.ts", "types.ts", "versions.ts", join("endpoints", "container.ts")]));
      for (const name of GENERATED_FILES) {
        const fresh = readFileSync(join(out, name));
        const committed = readFileSync(join(generatedDir, name));
        expect(fresh.equals(committed), `${name} is stale: run npm run generate`).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("has one table entry per operationId in v1.55.yaml, with the spec's query parameters", () => {
    const raw = readFileSync(join(specDir, "v1.55.yaml"), "utf8");
    const idLines = raw.match(/^\s+operationId:/gm) ?? [];
    const spec = specOperations("v1.55");
    expect(spec.length).toBe(idLines.length);
    expect(operations.length).toBe(idLines.length);

    const byKey = new Map(operations.map((op) => [key(op), op]));
    for (const s of spec) {
      const entry = byKey.get(s.key);
      expect(entry?.id, s.key).toBe(s.operationId);
      expect(entry?.query, s.key).toEqual(s.query);
    }
  });

  it("records as new exactly what v1.41 lacks", () => {
    const old = new Map(specOperations("v1.41").map((op) => [op.key, op]));
    const expectedOps = operations.filter((op) => !old.has(key(op))).map(key);
    expect(Object.keys(operationMinVersion).sort()).toEqual(expectedOps.sort());
    // Not "1.41 + 1": the version history's first version (a 1.42 engine has no such route).
    expect(operationMinVersion["GET /images/{name}/attestations"]).toBe("1.55");

    for (const op of operations) {
      const before = old.get(key(op));
      if (!before) continue;
      const added = op.query.filter((q) => !before.query.includes(q));
      expect(Object.keys(queryParamMinVersion[key(op)] ?? {}), key(op)).toEqual(added);
    }
    expect(queryParamMinVersion["POST /containers/{id}/stop"]).toEqual({ signal: "1.42" });
    expect(queryParamMinVersion["GET /images/json"]).toEqual({ "shared-size": "1.42", manifests: "1.47", identity: "1.54" });
    expect(queryParamMinVersion["GET /images/{name}/history"]).toEqual({ platform: "1.48" });
  });
});

describe("generated operation table", () => {
  it("has unique keys and ids", () => {
    expect(new Set(operations.map(key)).size).toBe(operations.length);
    expect(new Set(operations.map((op) => op.id)).size).toBe(operations.length);
  });

  it("marks streamed and hijacked responses, and only those", () => {
    const stream = Object.fromEntries(operations.map((op) => [op.id, op.stream]));
    for (const id of ["ContainerLogs", "ContainerAttach", "ExecStart", "ContainerExport", "ImageGet", "ContainerArchive"])
      expect(stream[id], id).toBe(true);
    for (const id of ["SystemEvents", "ContainerStats", "ImageCreate", "ImagePush", "ImageBuild", "Session"])
      expect(stream[id], id).toBe(true);
    for (const id of ["ContainerList", "ContainerInspect", "ContainerCreate", "SystemPing", "ImageList", "ContainerWait"])
      expect(stream[id], id).toBe(false);
  });

  it("stays tiny in versions.ts: plain version strings only", () => {
    const all = [...Object.values(operationMinVersion), ...Object.values(queryParamMinVersion).flatMap(Object.values)];
    expect(all.length).toBeGreaterThan(0);
    for (const v of all) {
      expect(v).toMatch(/^1\.\d+$/);
      expect(Number(v.split(".")[1])).toBeGreaterThan(41);
    }
  });

  it("starts every file with the generated header", () => {
    for (const name of GENERATED_FILES) {
      const first = readFileSync(join(generatedDir, name), "utf8").split("\n")[0];
      expect(first).toBe(
        "// generated by scripts/generate-types.mjs from the Docker Engine API spec v1.55 — do not edit",
      );
    }
  });
});

describe("generated types", () => {
  it("contain declarations only, no runtime code", () => {
    const text = readFileSync(join(generatedDir, "types.ts"), "utf8");
    const file = ts.createSourceFile("types.ts", text, ts.ScriptTarget.ES2022);
    const kinds = new Set(file.statements.map((s) => ts.SyntaxKind[s.kind]));
    expect([...kinds].sort()).toEqual(["InterfaceDeclaration", "TypeAliasDeclaration"]);
  });

  it("compile under strict, and reject what the spec forbids", () => {
    // A probe module: lines marked @ts-expect-error must fail, everything else must pass.
    const dir = mkdtempSync(join(tmpdir(), "berth-types-probe-"));
    try {
      const probe = join(dir, "probe.ts");
      const typesPath = join(generatedDir, "types.ts").replace(/\\/g, "/");
      writeFileSync(
        probe,
        `import type { Operations, OperationKey, ContainerCreateBody } from ${JSON.stringify(typesPath)};
type Inspect = Operations["GET /containers/{id}/json"];
export const state: Inspect["response"]["State"] = { Status: "running", Running: true };
export const path: Inspect["path"] = { id: "abc" };
// @ts-expect-error the id path parameter is required
export const noId: Inspect["path"] = {};
// @ts-expect-error Status is an enum
export const badStatus: Inspect["response"]["State"] = { Status: "sleeping" };
export const body: ContainerCreateBody = { Image: "busybox", Cmd: ["true"], HostConfig: { AutoRemove: true } };
// @ts-expect-error Cmd is a string array
export const badBody: ContainerCreateBody = { Image: "busybox", Cmd: "true" };
export const list: Operations["GET /containers/json"]["query"] = { all: true, filters: { status: ["running"] } };
export const key: OperationKey = "POST /containers/{id}/start";
// @ts-expect-error not an operation of the spec
export const badKey: OperationKey = "POST /containers/{id}/explode";
`,
      );
      const program = ts.createProgram({
        // The tables alone (the endpoint functions import the request engine; tsc checks them with the project).
        rootNames: [probe, ...["operations.ts", "types.ts", "versions.ts"].map((n) => join(generatedDir, n))],
        options: {
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          moduleResolution: ts.ModuleResolutionKind.Bundler,
          allowImportingTsExtensions: true,
          types: [],
          lib: ["lib.es2022.d.ts"],
        },
      });
      const messages = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      expect(messages).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("map operations to the spec's shapes", () => {
    type Inspect = Operations["GET /containers/{id}/json"];
    expectTypeOf<Inspect["response"]>().toHaveProperty("State");
    expectTypeOf<Inspect["response"]>().toEqualTypeOf<ContainerInspectResponse>();
    expectTypeOf<NonNullable<Inspect["response"]["State"]>>().toEqualTypeOf<ContainerState>();
    expectTypeOf<Inspect["operationId"]>().toEqualTypeOf<"ContainerInspect">();
    expectTypeOf<Inspect["path"]>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<Inspect["body"]>().toBeNever();

    expectTypeOf<Operations["GET /containers/json"]["query"]["filters"]>().toEqualTypeOf<Filters | undefined>();
    expectTypeOf<Operations["POST /containers/{id}/start"]["response"]>().toBeVoid();
    expectTypeOf<Operations["POST /containers/create"]["body"]>().toEqualTypeOf<ContainerCreateBody>();
    expectTypeOf<Operations["POST /images/create"]["headers"]>().toHaveProperty("X-Registry-Auth");
    expectTypeOf<"GET /_ping">().toExtend<OperationKey>();
  });
});
