// The gateway (adapters/gateway.ts) in real Chromium against the real engine: the one-time URL
// sets the cookie and drops the token, a page it serves then works, exec with stdin, TTY and
// resize goes over its WebSocket exec; without the token, from another origin, or against a
// read-only gateway, the same requests are refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { IncomingMessage, ServerResponse } from "node:http";
import { serveGateway, type Gateway } from "../../adapters/gateway.ts";
import { useEngine } from "../engine/helpers.ts";
import { ROOT, bundle, launchChromium, pageErrors, screenshot, serveFiles } from "./harness.ts";

const { docker, container, uniqueName } = useEngine();

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let gateway: Gateway;
let readOnly: Gateway;
let foreignPage: Awaited<ReturnType<typeof serveFiles>>;
let page: Page;
let errors: string[];
let id: string;
let pausedId: string;
let catId: string;

const html = '<!doctype html><meta charset="utf-8"><title>berth gateway</title><pre id="out">ready</pre><script type="module" src="/page.js"></script>';

beforeAll(async () => {
  const script = await bundle(`${ROOT}/test/browser/gateway-page.ts`);
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/") return void res.writeHead(200, { "content-type": "text/html" }).end(html);
    if (path === "/page.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    res.writeHead(404).end();
  };
  gateway = await serveGateway({ serve });
  readOnly = await serveGateway({ serve, readOnly: true });
  foreignPage = await serveFiles({ "/": { type: "text/html", body: '<!doctype html><meta charset="utf-8"><title>elsewhere</title>' } });
  const c = await container({ Cmd: ["sleep", "600"], StopSignal: "SIGKILL" }, uniqueName("gateway"));
  await c.start();
  id = c.id;
  const p = await container({ Cmd: ["sleep", "600"], StopSignal: "SIGKILL" }, uniqueName("gateway-paused"));
  await p.start();
  pausedId = p.id;
  const cat = await container({ Cmd: ["cat"], OpenStdin: true, StopSignal: "SIGKILL" }, uniqueName("gateway-cat"));
  await cat.start();
  catId = cat.id;
  chromium = await launchChromium();
  page = await chromium.newPage();
  errors = pageErrors(page);
}, 120_000);

afterAll(async () => {
  await docker.containers.ref(pausedId).unpause().catch(() => {});
  await chromium?.close();
  await gateway?.close();
  await readOnly?.close();
  await foreignPage?.close();
});

const state = async (cid: string) => (await docker.containers.ref(cid).inspect()).State?.Status;

describe("the gateway in Chromium", () => {
  it("refuses a page and the Engine API without the token", async () => {
    const response = await page.goto(`${gateway.origin}/`);
    expect(response?.status()).toBe(401);
    const api = await page.goto(`${gateway.origin}/v1.41/containers/json`);
    expect(api?.status()).toBe(401);
    expect(await api?.text()).not.toContain("Id");
  });

  it("trades the one-time URL for an HttpOnly SameSite=Strict cookie and drops the token from the address", async () => {
    const response = await page.goto(gateway.url);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${gateway.origin}/`);
    await page.waitForFunction(() => typeof window.berthGateway === "object");
    const cookies = await chromium.context.cookies(gateway.origin);
    const cookie = cookies.find((c) => c.name === gateway.cookie);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    // The page cannot read it, and now reaches the engine.
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(await page.evaluate(() => window.berthGateway.get("/_ping"))).toBe(200);
  });

  it("runs a shell with stdin, a TTY and resize over the WebSocket exec", async () => {
    const result = await page.evaluate((cid) => window.berthGateway.tty(cid), id);
    expect(result.output, errors.join("; ")).toContain("31 107");
    expect(result.output).toContain("answer=42");
    expect(result.exitCode).toBe(3);
    await page.evaluate((text) => (document.getElementById("out")!.textContent = text), result.output);
    await screenshot(page, "browser-gateway-exec");
  });

  it("closes stdin alone (the process reads EOF, its output still comes) and keeps stderr apart without a TTY", async () => {
    const result = await page.evaluate((cid) => window.berthGateway.pipe(cid), id);
    expect(result).toEqual({ stdout: "hello world", stderr: "done\n", exitCode: 0 });
  });

  it("passes the engine's WebSocket attach through, stdin included", async () => {
    expect(await page.evaluate((cid) => window.berthGateway.attach(cid), catId)).toBe("through the gateway\n");
  });

  it("reports the engine's own refusal of an exec start (its container paused since the exec was created)", async () => {
    await page.evaluate((cid) => window.berthGateway.prepare(cid), pausedId);
    await docker.containers.ref(pausedId).pause();
    const message = await page.evaluate(() => window.berthGateway.refused());
    expect(message).toMatch(/paused/i);
    expect(message).not.toMatch(/WebSocket connection failed/);
  });

  it("says that exec with stdin needs the gateway when the Docker is told it has none", async () => {
    const message = await page.evaluate((cid) => window.berthGateway.withoutGateway(cid), id);
    expect(message).toMatch(/^DockerUnsupportedError: .*gateway.*npx berth-docker serve/);
  });

  it("refuses another origin's requests even though the browser sends it the cookie (same site, other port)", async () => {
    const foreign = await chromium.newPage();
    try {
      await foreign.goto(foreignPage.url);
      const result = await foreign.evaluate(
        async ({ origin, id }) => {
          const ws = await new Promise<string>((resolve) => {
            const socket = new WebSocket(`${origin.replace(/^http/, "ws")}/containers/${id}/attach/ws?stream=1&stdout=1`);
            socket.onopen = () => {
              socket.close();
              resolve("open");
            };
            socket.onerror = () => resolve("refused");
          });
          const exec = await new Promise<string>((resolve) => {
            const socket = new WebSocket(`${origin.replace(/^http/, "ws")}/exec/${id}/start/ws`);
            socket.onopen = () => resolve("open");
            socket.onerror = () => resolve("refused");
          });
          const post = await fetch(`${origin}/containers/${id}/pause`, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: "" }).then(
            (r) => r.type,
            (e: Error) => e.message,
          );
          return { ws, exec, post };
        },
        { origin: gateway.origin, id },
      );
      expect(result.ws).toBe("refused");
      expect(result.exec).toBe("refused");
      expect(await state(id)).toBe("running");
    } finally {
      await foreign.close();
    }
  });

  it("read-only: lets GET through and refuses a POST", async () => {
    await page.goto(readOnly.url);
    await page.waitForFunction(() => typeof window.berthGateway === "object");
    expect(await page.evaluate(() => window.berthGateway.get("/v1.41/containers/json"))).toBe(200);
    const result = await page.evaluate((cid) => window.berthGateway.post(`/v1.41/containers/${cid}/pause`), id);
    expect(result.status).toBe(403);
    expect(result.body).toMatch(/read-only/);
    expect(await state(id)).toBe("running");
  });
});
