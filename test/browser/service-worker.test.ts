// The browser entry inside a real service worker in Chromium: ping, version negotiation, exec
// output, attach over the WebSocket (attached before start, so no output is missed), logs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE, useEngine } from "../engine/helpers.ts";
import { ROOT, bundle, engineProxy, launchChromium, serveFiles } from "./harness.ts";

const { docker, labels } = useEngine();

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let server: Awaited<ReturnType<typeof serveFiles>>;
let engine: Awaited<ReturnType<typeof engineProxy>>;
let results: Record<string, any>;

beforeAll(async () => {
  server = await serveFiles({
    "/": { type: "text/html", body: '<!doctype html><meta charset="utf-8"><title>berth in a service worker</title>' },
    "/sw.js": { type: "text/javascript", body: await bundle(`${ROOT}/test/browser/service-worker.ts`) },
  });
  // The worker's requests carry the page's origin: the proxy answers CORS for it alone.
  engine = await engineProxy(server.url);
  chromium = await launchChromium();
  const page = await chromium.newPage();
  await page.goto(server.url);
  const query = new URLSearchParams({ engine: engine.url, image: IMAGE, labels: JSON.stringify(labels) }).toString();
  results = await page.evaluate(async (query) => {
    await navigator.serviceWorker.register("/sw.js", { type: "module" });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    }
    return (await fetch(`/sw-check?${query}`)).json();
  }, query);
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await engine?.close();
  await server?.close();
});

describe("the browser entry in a service worker", () => {
  it("ran inside the worker without errors", () => {
    expect(results.error).toBeUndefined();
    expect(results.inWorker).toBe(true);
  });

  it("pings and negotiates the version the engine speaks", async () => {
    expect(results.ping).toBe("OK");
    expect(results.apiVersion).toBe((await docker.version()).ApiVersion);
  });

  it("collects exec output", () => {
    expect(results.exec).toEqual({ exitCode: 0, stdout: "from a service worker\n", stderr: "" });
  });

  it("attaches with stdin over the WebSocket and reads the logs", () => {
    expect(results.attach).toBe("ready\nsw got: hi\n");
    expect(results.logs).toBe("ready\nsw got: hi\n");
  });
});
