// What another web page can do with the engine in a real browser: nothing. The engine listens on
// its unix socket only; the browser suites' loopback proxy (adapters/node-proxy.ts) lets in the
// page it was started for and refuses every other origin, for the requests CORS does not stop (a
// no-cors text/plain POST needs no preflight) and for the WebSocket attach (not subject to CORS),
// and refuses a Host that is not its own (a DNS-rebound name). Checked on the engine itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { useEngine } from "../engine/helpers.ts";
import { engineProxy, launchChromium, serveFiles } from "./harness.ts";

const { docker, container, uniqueName } = useEngine();
const REBOUND = "rebound.berth.test";

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let ownPage: Awaited<ReturnType<typeof serveFiles>>;
let foreignPage: Awaited<ReturnType<typeof serveFiles>>;
let engine: Awaited<ReturnType<typeof engineProxy>>;
let id: string;

const html = { "/": { type: "text/html", body: '<!doctype html><meta charset="utf-8"><title>a page</title>' } };

beforeAll(async () => {
  const c = await container({ Cmd: ["sh", "-c", "while :; do echo tick; sleep 1; done"], StopSignal: "SIGKILL" }, uniqueName("origin"));
  await c.start();
  id = c.id;
  ownPage = await serveFiles(html);
  foreignPage = await serveFiles(html);
  engine = await engineProxy(ownPage.url);
  // A name that resolves to loopback, as a rebinding attacker's name would after its first lookup.
  chromium = await launchChromium([`--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`]);
}, 120_000);

afterAll(async () => {
  await docker.containers.ref(id).unpause().catch(() => {});
  await chromium?.close();
  await engine?.close();
  await ownPage?.close();
  await foreignPage?.close();
});

/** From a page at `origin`: a WebSocket attach, then the no-cors text/plain POST that pauses the container. */
async function attack(origin: string): Promise<{ post: string; ws: string }> {
  const page: Page = await chromium.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(
      async ({ url, id }) => {
        const ws = await new Promise<string>((resolve) => {
          const socket = new WebSocket(`${url.replace(/^http/, "ws")}/containers/${id}/attach/ws?stream=1&stdout=1`);
          socket.onopen = () => {
            socket.close();
            resolve("open");
          };
          socket.onerror = () => resolve("refused");
        });
        // After the attach: the engine attaches to no paused container.
        const post = await fetch(`${url}/containers/${id}/pause`, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: "" }).then(
          (r) => `answered (${r.type})`,
          (e: Error) => `failed: ${e.message}`,
        );
        return { post, ws };
      },
      { url: engine.url, id },
    );
  } finally {
    await page.close();
  }
}

const state = async () => (await docker.containers.ref(id).inspect()).State?.Status;

describe("another web page against the browser suites' engine endpoint", () => {
  it("cannot pause a container with a no-cors text/plain POST, nor open the WebSocket attach", async () => {
    const result = await attack(foreignPage.url);
    expect(result.ws).toBe("refused");
    expect(await state()).toBe("running");
  });

  it("while the page it was started for can do both (the same requests)", async () => {
    const result = await attack(ownPage.url);
    expect(result.ws).toBe("open");
    expect(await state()).toBe("paused");
    await docker.containers.ref(id).unpause();
  });

  it("is refused under a DNS-rebound name: the Host is not the proxy's address", async () => {
    const page = await chromium.newPage();
    try {
      const response = await page.goto(`http://${REBOUND}:${engine.port}/containers/json`);
      expect(response?.status()).toBe(403);
      expect(await page.textContent("body")).toContain(`Host "${REBOUND}:${engine.port}" is not this proxy's address`);
      // The same browser reaches it under its own address.
      expect((await page.goto(`${engine.url}/_ping`))?.status()).toBe(200);
    } finally {
      await page.close();
    }
  });
});
