// The dashboard example (examples/dashboard, served by scripts/dashboard.mjs) driven in real
// Chromium against the real engine: what a person sees and clicks, checked on the engine through
// the Node client. Screenshots land in test-artifacts/. The page reaches the engine on its own
// origin (scripts/dashboard.mjs proxies /engine to the engine's unix socket).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import type { Locator, Page } from "playwright-core";
import { startDashboard } from "../../scripts/dashboard.mjs";
import { useEngine } from "../engine/helpers.ts";
import { launchChromium, pageErrors, screenshot } from "./harness.ts";

const { docker, run, container, uniqueName } = useEngine();

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let dashboard: Awaited<ReturnType<typeof startDashboard>>;
let page: Page;
let errors: string[];
const tickerName = uniqueName("dash-ticker");
const echoName = uniqueName("dash-echo");
const lateName = uniqueName("dash-late");

beforeAll(async () => {
  const ticker = await container({ Cmd: ["sh", "-c", 'i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.3; done'], StopSignal: "SIGKILL" }, tickerName);
  const echo = await container(
    { Cmd: ["sh", "-c", 'while read line; do echo "container heard: $line"; done'], OpenStdin: true, AttachStdin: true, StopSignal: "SIGKILL" },
    echoName,
  );
  await Promise.all([ticker.start(), echo.start()]);
  dashboard = await startDashboard({ port: 0 });
  chromium = await launchChromium();
  page = await chromium.newPage();
  errors = pageErrors(page);
  // The filter keeps the table to this file's containers (the engine is shared with other tests).
  await page.goto(`${dashboard.url}/?filter=${run}`);
  await page.locator("#engine-status[data-state=live]").waitFor();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await dashboard?.close();
});

const rowOf = (name: string): Locator => page.locator(`tr[data-name="${name}"]`);
const stateOf = (name: string): Locator => rowOf(name).locator(".state");

/** One raw request to the dashboard's server (as a browser, or an attacker, would send it); its answer. */
function rawRequest(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(dashboard.url).port), "127.0.0.1");
    let text = "";
    socket.on("data", (d) => (text += d)).on("end", () => resolve(text)).on("error", reject);
    socket.write(head);
  });
}

async function engineState(name: string): Promise<string | undefined> {
  return (await docker.containers.get(name).then((c) => c.inspect())).State?.Status;
}

describe("the dashboard in Chromium", () => {
  it("connects and lists the running test containers with their state", async () => {
    await expect.poll(() => stateOf(tickerName).textContent()).toBe("running");
    await expect.poll(() => stateOf(echoName).textContent()).toBe("running");
    expect(await page.locator("#engine-status").textContent()).toMatch(/^Docker .* · API 1\.\d+ · live$/);
  });

  it("reaches the engine on the page's own origin, by default", async () => {
    expect(dashboard.engine).toBe(`${dashboard.url}/engine`);
    expect(await page.locator("#engine-url").inputValue()).toBe(dashboard.engine);
  });

  it("tails a container's logs live", async () => {
    await rowOf(tickerName).locator("[data-action=logs]").click();
    await expect.poll(() => page.locator("#logs").textContent(), { timeout: 20_000 }).toMatch(/tick 3\n/);
    // Lines keep arriving while the panel is open: the stream follows.
    const count = (await page.locator("#logs").textContent())!.split("\n").length;
    await expect.poll(async () => (await page.locator("#logs").textContent())!.split("\n").length, { timeout: 20_000 }).toBeGreaterThan(count + 2);
  });

  it("sends what is typed in the attach terminal to the container and shows its answer", async () => {
    await rowOf(echoName).locator("[data-action=attach]").click();
    const input = page.locator("#terminal-input");
    await expect.poll(() => input.isEnabled()).toBe(true);
    await input.fill("hello from a person");
    await input.press("Enter");
    await expect.poll(() => page.locator("#terminal").textContent(), { timeout: 20_000 }).toContain("container heard: hello from a person\n");
    await input.fill("and a second line");
    await input.press("Enter");
    await expect.poll(() => page.locator("#terminal").textContent(), { timeout: 20_000 }).toContain("container heard: and a second line\n");
    await screenshot(page, "dashboard-logs-and-terminal");
  });

  it("stops a container with a click: the engine stops it and the page shows it live", async () => {
    await rowOf(tickerName).locator("[data-action=stop]").click();
    await expect.poll(() => engineState(tickerName), { timeout: 30_000 }).toBe("exited");
    await expect.poll(() => stateOf(tickerName).textContent(), { timeout: 20_000 }).toBe("exited");
    await expect.poll(() => page.locator("#logs").textContent(), { timeout: 20_000 }).toContain("[the container stopped: end of logs]");
    await screenshot(page, "dashboard-stopped");
  });

  it("shows a container created elsewhere without a reload, and starts it with a click", async () => {
    await container({ Cmd: ["sleep", "300"], StopSignal: "SIGKILL" }, lateName);
    await expect.poll(() => stateOf(lateName).textContent(), { timeout: 20_000 }).toBe("created");
    await rowOf(lateName).locator("[data-action=start]").click();
    await expect.poll(() => engineState(lateName), { timeout: 30_000 }).toBe("running");
    await expect.poll(() => stateOf(lateName).textContent(), { timeout: 20_000 }).toBe("running");
    await screenshot(page, "dashboard-live");
  });

  it("answers a malformed URL with 400 and keeps serving", async () => {
    const host = new URL(dashboard.url).host;
    expect(await rawRequest(`GET /%E0%A4%A HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${dashboard.url}/`)).status).toBe(200);
    expect(await (await fetch(`${dashboard.engine}/_ping`)).text()).toBe("OK");
  });

  it("refuses another Host (DNS rebinding) and another origin, for the page and the engine alike", async () => {
    const host = new URL(dashboard.url).host;
    const port = new URL(dashboard.url).port;
    expect(await rawRequest(`GET / HTTP/1.1\r\nHost: rebound.example:${port}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403 /);
    expect(await rawRequest(`GET /engine/containers/json HTTP/1.1\r\nHost: rebound.example:${port}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403 /);
    const post = `POST /engine/containers/${echoName}/pause HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://attacker.example\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
    expect(await rawRequest(post)).toMatch(/^HTTP\/1\.1 403 /);
    expect(await engineState(echoName)).toBe("running");
  });

  it("raised no uncaught errors in the page", () => {
    expect(errors.filter((e) => e.startsWith("pageerror"))).toEqual([]);
  });
});
