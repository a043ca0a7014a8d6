// The core's smoke scenarios run inside real Chromium through the browser entry, against the real
// engine over TCP (a loopback proxy to its unix socket, CORS for this page's origin): ping, version negotiation without Api-Version, list, create/start/logs/remove,
// exec output, uploads (Blob and stream), build, events, and attach over the engine's WebSocket.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { IMAGE, useEngine } from "../engine/helpers.ts";
import { ROOT, bundle, engineProxy, launchChromium, pageErrors, screenshot, serveFiles } from "./harness.ts";
import type { SmokeResult } from "./smoke-page.ts";

const { docker, labels, uniqueName } = useEngine();

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let server: Awaited<ReturnType<typeof serveFiles>>;
let engine: Awaited<ReturnType<typeof engineProxy>>;
let page: Page;
let errors: string[];
let results: Map<string, SmokeResult>;
const prefix = uniqueName("berth-smoke");

beforeAll(async () => {
  const script = await bundle(`${ROOT}/test/browser/smoke-page.ts`);
  server = await serveFiles({
    "/": { type: "text/html", body: '<!doctype html><meta charset="utf-8"><title>berth smoke</title><pre id="out">running</pre><script type="module" src="/smoke.js"></script>' },
    "/smoke.js": { type: "text/javascript", body: script },
  });
  engine = await engineProxy(server.url);
  chromium = await launchChromium();
  page = await chromium.newPage();
  errors = pageErrors(page);
  await page.goto(server.url);
  await page.waitForFunction(() => typeof window.berthSmoke === "function");
  const list = await page.evaluate(
    async (options) => {
      const results = await window.berthSmoke(options);
      document.getElementById("out")!.textContent = results.map((r) => `${r.ok ? "ok  " : "FAIL"} ${r.name}: ${JSON.stringify(r.ok ? r.value : r.error)}`).join("\n");
      return results;
    },
    { url: engine.url, image: IMAGE, labels, prefix },
  );
  results = new Map(list.map((r) => [r.name, r]));
  await screenshot(page, "browser-smoke");
}, 120_000);

afterAll(async () => {
  // The page removes the image it built; this covers a scenario that failed half-way.
  await docker.images.ref(`${prefix}-built:latest`).remove({ force: true }).catch(() => {});
  await chromium?.close();
  await engine?.close();
  await server?.close();
});

/** The value a scenario returned; fails with the page's error when it threw. */
function value(name: string): any {
  const result = results.get(name);
  expect(result, `scenario ${name} did not run`).toBeDefined();
  expect(result!.error, `${name} failed in the page (${errors.join("; ")})`).toBeUndefined();
  return result!.value;
}

describe("the browser entry in Chromium", () => {
  it("pings the engine", () => {
    expect(value("ping")).toBe("OK");
  });

  it("negotiates the API version through /version, the header being hidden from the page", async () => {
    const engine = (await docker.version()).ApiVersion;
    expect(value("api-version")).toEqual({ header: null, negotiated: engine });
    expect(value("version")).toBe(engine);
  });

  it("explains a failed fetch, which a browser reports the same for every cause", () => {
    const result = value("unreachable-explained");
    expect(result).toMatchObject({ failed: true, name: "DockerConnectionError" });
    expect(result.message).toMatch(/^Connection to the Docker engine at http:\/\/127\.0\.0\.1:9 failed: Failed to fetch\. .*--api-cors-header/);
  });

  it("lists containers: the running one it created, by its run label", async () => {
    const { ids, sleeper, valid } = value("list");
    expect(valid).toBe(true);
    expect(ids).toEqual([sleeper]);
  });

  it("creates, starts, reads the logs of and removes a container", () => {
    expect(value("create-start-logs-remove")).toEqual({ StatusCode: 0, stdout: "hello from the browser\n", stderr: "oops\n", gone: true });
  });

  it("collects exec output and exit code over a plain streaming response", () => {
    expect(value("exec-output")).toEqual({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
    expect(value("exec-stream")).toEqual({ lines: ["line 1", "line 2", "line 3"], exitCode: 0 });
  });

  it("refuses exec with stdin and unix sockets with a DockerUnsupportedError that says why", () => {
    const exec = value("exec-stdin-refused");
    expect(exec.refused).toBe(true);
    expect(exec.message).toMatch(/browsers and edge runtimes have no raw sockets/);
    expect(exec.message).toMatch(/attach/);
    const unix = value("unix-host-refused");
    expect(unix.refused).toBe(true);
    expect(unix.message).toMatch(/unix:\/\/ needs a raw socket/);
  });

  it("uploads archives from a Blob and from a stream, and downloads one", () => {
    expect(value("put-archive-blob")).toBe("blob upload\n");
    expect(value("put-archive-stream")).toBe("stream upload\n");
    expect(value("get-archive")).toEqual({ statHeader: null, entries: [{ name: "from-blob.txt", text: "blob upload\n" }] });
  });

  it("needs the collected upload: Chromium does not stream a request body over HTTP/1.1", () => {
    const direct = value("stream-upload-unbuffered");
    expect(direct.uploaded, "Chromium now streams uploads over HTTP/1.1: the adapter's collecting could go").toBe(false);
    expect(direct.error).toMatch(/^DockerConnectionError/);
  });

  it("builds an image from tar entries (a stream body) and runs it", () => {
    expect(value("build-from-entries")).toEqual({ id: true, stdout: "built in a browser\n" });
  });

  it("builds with BuildKit from a page: a cache mount, typed steps, the step's output", () => {
    const r = value("buildkit-in-a-browser");
    expect(r.builder).toBe("buildkit");
    expect(r.states.every((s: string) => s === "done" || s === "cached")).toBe(true);
    expect(r.stdout).toBe("from a page\n");
    expect(r.logs).toContain("said-in-a-page");
  });

  it("streams engine events", () => {
    const seen: string[] = value("events");
    expect(seen).toContain("start");
    expect(seen.at(-1)).toBe("die");
  });

  it("attaches over the WebSocket endpoint with stdin", () => {
    expect(value("attach-websocket")).toBe("got: ping from the page\n");
  });

  it("raised no uncaught errors in the page", () => {
    expect(errors.filter((e) => e.startsWith("pageerror"))).toEqual([]);
  });
});
