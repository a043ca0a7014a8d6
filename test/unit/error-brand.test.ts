// Two copies of berth in one app (two versions installed, or one bundled twice) recognise each
// other's errors: `instanceof` and isNotFound() go by the brand every error class carries, not by
// the class object of one copy. The second copy is a real one: the core bundled by esbuild into a
// file of its own, every module of it evaluated again.
/// <reference types="node" />
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as a from "../../src/index.ts";

type Core = typeof a;
let b: Core;
let dir: string;

beforeAll(async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../../src/index.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    logLevel: "silent",
  });
  dir = mkdtempSync(join(tmpdir(), "berth-copy-"));
  const file = join(dir, "berth-copy.mjs");
  writeFileSync(file, result.outputFiles[0]!.text);
  b = (await import(pathToFileURL(file).href)) as Core;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("errors across two copies of berth", () => {
  it("are two copies: the classes differ", () => {
    expect(b.DockerNotFoundError).not.toBe(a.DockerNotFoundError);
    expect(b.isNotFound).not.toBe(a.isNotFound);
  });

  it("instanceof matches the class and its ancestors, whichever copy threw", () => {
    for (const [thrower, checker] of [[a, b], [b, a]] as const) {
      const notFound = thrower.httpError(404, "no such container: x", "GET", "/containers/x/json");
      expect(notFound).toBeInstanceOf(checker.DockerNotFoundError);
      expect(notFound).toBeInstanceOf(checker.DockerHttpError);
      expect(notFound).toBeInstanceOf(checker.DockerError);
      expect(notFound).not.toBeInstanceOf(checker.DockerConflictError);
      expect(notFound).not.toBeInstanceOf(checker.DockerConnectionError);
      expect(notFound.name).toBe("DockerNotFoundError");

      const build = new thrower.DockerBuildError(new thrower.DockerStreamError("step failed"), { builder: "buildkit", stepOutput: [], steps: [], output: "", events: [] });
      expect(build).toBeInstanceOf(checker.DockerBuildError);
      expect(build).toBeInstanceOf(checker.DockerStreamError);
      expect(build).toBeInstanceOf(checker.DockerError);
      expect(build).not.toBeInstanceOf(checker.DockerHttpError);
      expect(build.name).toBe("DockerBuildError");

      const connection = new thrower.DockerConnectionError("unix:///nowhere.sock", "ENOENT", "no socket");
      expect(connection).toBeInstanceOf(checker.DockerConnectionError);
      expect(connection).not.toBeInstanceOf(checker.DockerTimeoutError);
    }
  });

  it("the type guards and getters work on the other copy's errors", () => {
    const notFound = b.httpError(404, "no such image", "GET", "/images/x/json");
    const conflict = b.httpError(409, "name in use", "POST", "/containers/create");
    expect(a.isNotFound(notFound)).toBe(true);
    expect(a.isNotFound(conflict)).toBe(false);
    expect(a.isConflict(conflict)).toBe(true);
    expect(a.isConflict(notFound)).toBe(false);
    // Registry refusals relayed as 500s are DockerUnauthorizedError in either copy's eyes.
    const refused = b.httpError(500, "unauthorized: authentication required", "POST", "/images/create");
    expect(refused).toBeInstanceOf(a.DockerUnauthorizedError);
    expect((refused as a.DockerHttpError).isUnauthorized).toBe(true);
  });

  it("an app's own subclass is matched as a class, not by its parent's brand", () => {
    class AppError extends a.DockerError {}
    const mine = new AppError("mine");
    expect(mine).toBeInstanceOf(AppError);
    expect(mine).toBeInstanceOf(a.DockerError);
    expect(mine).toBeInstanceOf(b.DockerError);
    expect(mine.name).toBe("DockerError");
    expect(new b.DockerError("theirs")).not.toBeInstanceOf(AppError);
    expect(b.httpError(404, "x", "GET", "/x")).not.toBeInstanceOf(AppError);
  });

  it("other values are not berth errors", () => {
    for (const value of [null, undefined, 404, "DockerError", new Error("plain"), { name: "DockerNotFoundError", status: 404 }, { [Symbol.for("berth-docker.error")]: "DockerError" }]) {
      expect(value instanceof a.DockerError).toBe(false);
      expect(a.isNotFound(value)).toBe(false);
    }
  });

  it("the error keeps its own name and message as before", () => {
    const err = new a.DockerTimeoutError("GET", "/_ping", 100);
    expect(Object.getOwnPropertyDescriptor(err, "name")).toMatchObject({ value: "DockerTimeoutError", enumerable: true, writable: true });
    expect(String(err)).toBe("DockerTimeoutError: GET /_ping timed out after 100 ms waiting for the engine to answer");
  });
});
