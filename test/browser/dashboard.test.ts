// The dashboard (examples/dashboard) served by the gateway (adapters/dashboard.ts, what
// `npx berth-docker dashboard` runs), driven in real Chromium against the real engine: what a
// person sees and clicks, checked on the engine through the Node client. Everything it acts on is
// created here with this file's label and removed at the end. Screenshots land in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { serveDashboard } from "../../adapters/dashboard.ts";
import type { Gateway } from "../../adapters/gateway.ts";
import { buildDashboard } from "../../scripts/build-dashboard.mjs";
import { IMAGE, useEngine } from "../engine/helpers.ts";
import { launchChromium, pageErrors, screenshot, serveFiles } from "./harness.ts";

const { docker, run, labels, container, uniqueName } = useEngine("dash");

let chromium: Awaited<ReturnType<typeof launchChromium>>;
let gateway: Gateway;
let foreignPage: Awaited<ReturnType<typeof serveFiles>>;
let assets: string;
let page: Page;
let errors: string[];
const tickerName = uniqueName("ticker");
const shellName = uniqueName("shell");
const volumeName = uniqueName("volume");
const networkName = uniqueName("network");
const imageTag = `${uniqueName("built")}:1`;
let shellId: string;

beforeAll(async () => {
  const ticker = await container({ Cmd: ["sh", "-c", 'i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.3; done'], StopSignal: "SIGKILL" }, tickerName);
  const shell = await container(
    { Cmd: ["sleep", "3600"], StopSignal: "SIGKILL", ExposedPorts: { "80/tcp": {} }, HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } } },
    shellName,
  );
  shellId = shell.id;
  await Promise.all([ticker.start(), shell.start()]);
  await docker.volumes.create({ Name: volumeName, Labels: labels });
  await docker.networks.create({ Name: networkName, Labels: labels });
  assets = mkdtempSync(join(tmpdir(), "berth-dashboard-"));
  await buildDashboard({ outdir: assets, minify: false });
  gateway = await serveDashboard({ assets });
  foreignPage = await serveFiles({ "/": { type: "text/html", body: '<!doctype html><meta charset="utf-8"><title>elsewhere</title>' } });
  chromium = await launchChromium();
  page = await chromium.newPage();
  errors = pageErrors(page);
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await gateway?.close();
  await foreignPage?.close();
  await docker.images.ref(imageTag).remove({ force: true }).catch(() => {});
  if (assets) rmSync(assets, { recursive: true, force: true });
});

const rowOf = (name: string): Locator => page.locator(`#containers tr[data-name="${name}"]`);
const stateOf = (name: string): Locator => rowOf(name).locator(".state");
const act = (action: string) => page.locator(`#detail [data-action=${action}]`).click();
const toast = () => page.locator("#toast").textContent();
const screen = () => page.locator("#terminal .xterm-rows").textContent();
/** The `rows cols` a shell printed after `marker=` (the typed command itself shows `marker=$(stty size)`). */
async function sizeOnScreen(marker: string): Promise<number[]> {
  const pattern = new RegExp(`${marker}=(\\d+) (\\d+)=`);
  await expect.poll(async () => pattern.test((await screen()) ?? ""), { timeout: 20_000 }).toBe(true);
  return pattern.exec((await screen())!)!.slice(1).map(Number);
}
const engineState = async (id: string) => (await docker.containers.ref(id).inspect()).State?.Status;

async function pick(name: string): Promise<void> {
  await rowOf(name).locator("[data-open]").click();
  await expect.poll(() => page.locator("#detail-title").textContent()).toContain(name);
}

/** Answers the page's dialog (rename, remove). */
async function answer(options: { input?: string; check?: boolean } = {}): Promise<void> {
  await page.locator("#dialog[open]").waitFor();
  if (options.input !== undefined) await page.locator("#dialog-input").fill(options.input);
  if (options.check) await page.locator("#dialog-check").check();
  await page.locator("#dialog-ok").click();
}

describe("the dashboard, served by the gateway, in Chromium", () => {
  it("is refused without the token: the page and the Engine API alike", async () => {
    const response = await page.goto(`${gateway.origin}/`);
    expect(response?.status()).toBe(401);
    expect(await response?.text()).not.toContain("berth dashboard");
    expect((await page.goto(`${gateway.origin}/main.js`))?.status()).toBe(401);
    expect((await page.goto(`${gateway.origin}/v1.41/containers/json`))?.status()).toBe(401);
  });

  it("opens from the one-time URL, drops the token from the address, and lists containers with their state, id, image, ports and created time", async () => {
    const response = await page.goto(`${gateway.url}&filter=${run}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.url()).toBe(`${gateway.origin}/?filter=${run}`);
    await page.locator("#engine-status[data-state=live]").waitFor();
    expect(await page.locator("#engine-status").textContent()).toMatch(/^Docker .* · API 1\.\d+ · live$/);
    await expect.poll(() => stateOf(tickerName).textContent()).toBe("running");
    const row = rowOf(shellName);
    expect(await row.locator(".id").textContent()).toBe(shellId.slice(0, 12));
    expect(await row.locator(".image").textContent()).toBe(IMAGE);
    const port = (await docker.containers.ref(shellId).inspect()).NetworkSettings?.Ports?.["80/tcp"]?.[0]?.HostPort;
    expect(await row.locator(".ports a").getAttribute("href")).toBe(`http://127.0.0.1:${port}/`);
    expect(await row.locator(".created").textContent()).toMatch(/just now|min ago/);
  });

  it("shows live CPU and memory from the engine's stats", async () => {
    await expect.poll(() => rowOf(tickerName).locator(".cpu").textContent(), { timeout: 30_000 }).toMatch(/^\d+\.\d %$/);
    expect(await rowOf(tickerName).locator(".memory").textContent()).toMatch(/^\d+(\.\d)? (B|KiB|MiB|GiB)( \/ .*)?$/);
    await screenshot(page, "dashboard-containers");
  });

  it("follows a container's logs with timestamps, searches them and downloads them", async () => {
    await pick(tickerName);
    await page.locator("[data-tab=logs]").click();
    await expect.poll(() => page.locator("#logs").textContent(), { timeout: 20_000 }).toMatch(/tick 4/);
    expect(await page.locator("#logs .line time").first().textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    await page.locator("#logs-search").fill("tick 1");
    const shown = await page.locator("#logs .line:not([hidden])").allTextContents();
    expect(shown.length).toBeGreaterThan(0);
    for (const line of shown) expect(line).toMatch(/tick 1\d*$/);
    expect(await page.locator("#logs .line[hidden]").count()).toBeGreaterThan(0);
    expect(await page.locator("#logs-matches").textContent()).toBe(`${shown.length} matching line${shown.length === 1 ? "" : "s"}`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#logs-download").click()]);
    expect(download.suggestedFilename()).toBe(`${tickerName}.log`);
    const text = readFileSync((await download.path())!, "utf8");
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\S+Z tick 0\n\S+ tick 1\n/);
    await page.locator("#logs-search").fill("");
    await screenshot(page, "dashboard-logs");
  });

  it("runs a shell in a real terminal: typed input reaches it, and it follows the terminal's size", async () => {
    await pick(shellName);
    await page.locator("[data-tab=terminal]").click();
    await page.locator("#terminal-open").click();
    await expect.poll(() => page.locator("#terminal-status").textContent()).toMatch(/^shell in /);
    await page.locator("#terminal").click();
    await page.keyboard.type('echo "answer=$((6*7))"; echo "size1=$(stty size)="\n');
    await expect.poll(screen, { timeout: 20_000 }).toMatch(/answer=42/);
    const before = await sizeOnScreen("size1");
    await page.setViewportSize({ width: 900, height: 700 });
    await page.keyboard.type('echo "size2=$(stty size)="\n');
    const after = await sizeOnScreen("size2");
    expect(after).not.toEqual(before);
    const [rows, cols] = after;
    expect(rows).toBeGreaterThan(5);
    expect(cols).toBeGreaterThan(20);
    await screenshot(page, "dashboard-terminal");
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.locator("#terminal-close").click();
  });

  it("pauses and unpauses, and shows the engine's own message when an action fails or the terminal meets a paused container", async () => {
    await act("pause");
    await expect.poll(() => engineState(shellId), { timeout: 30_000 }).toBe("paused");
    await expect.poll(() => stateOf(shellName).textContent(), { timeout: 20_000 }).toBe("paused");
    await act("pause");
    await expect.poll(toast).toMatch(/Pause failed: .*is already paused/i);
    await page.locator("#terminal-open").click();
    await expect.poll(() => page.locator("#terminal-status").textContent()).toMatch(/cannot open a shell: .*paused/i);
    expect(await page.locator("#terminal-status").textContent()).not.toMatch(/WebSocket/);
    await screenshot(page, "dashboard-paused");
    await act("unpause");
    await expect.poll(() => engineState(shellId), { timeout: 30_000 }).toBe("running");
  });

  it("restarts, stops, starts and kills with a click", async () => {
    const started = (await docker.containers.ref(shellId).inspect()).State?.StartedAt;
    await act("restart");
    await expect.poll(async () => (await docker.containers.ref(shellId).inspect()).State?.StartedAt, { timeout: 30_000 }).not.toBe(started);
    await act("stop");
    await expect.poll(() => engineState(shellId), { timeout: 30_000 }).toBe("exited");
    await expect.poll(() => stateOf(shellName).textContent(), { timeout: 20_000 }).toBe("exited");
    await act("start");
    await expect.poll(() => engineState(shellId), { timeout: 30_000 }).toBe("running");
    await act("kill");
    await expect.poll(() => engineState(shellId), { timeout: 30_000 }).toBe("exited");
  });

  it("shows the container's inspect JSON", async () => {
    await page.locator("[data-tab=inspect]").click();
    await expect.poll(async () => JSON.parse((await page.locator("#inspect").textContent()) || "{}").Id).toBe(shellId);
  });

  it("renames and removes a container", async () => {
    const renamed = `${shellName}-renamed`;
    await act("rename");
    await answer({ input: renamed });
    await expect.poll(async () => (await docker.containers.ref(shellId).inspect()).Name).toBe(`/${renamed}`);
    await expect.poll(() => rowOf(renamed).count(), { timeout: 20_000 }).toBe(1);
    await act("remove");
    await answer({ check: true });
    await expect.poll(async () => docker.containers.ref(shellId).inspect().then(() => "there", (e) => (e.isNotFound ? "gone" : String(e))), { timeout: 30_000 }).toBe("gone");
    await expect.poll(() => rowOf(renamed).count(), { timeout: 20_000 }).toBe(0);
    expect(await page.locator("#detail").isHidden()).toBe(true);
  });

  it("builds an image with BuildKit and shows its steps", async () => {
    await page.locator("#nav a[data-page=build]").click();
    await page.locator("#build-dockerfile").fill(`FROM ${IMAGE}\nLABEL berth.test=1 berth.test.run=${run}\nRUN echo "made in the dashboard for ${run}"\n`);
    await page.locator("#build-tag").fill(imageTag);
    await page.locator("#build-builder").selectOption("buildkit");
    await page.locator("#build-start").click();
    await expect.poll(() => page.locator("#build-result").textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^built [0-9a-f]{12} as ${imageTag.replace(/[.:]/g, "\\$&")} \\(buildkit\\)$`));
    const run_ = page.locator("#build-steps li", { hasText: "RUN echo" });
    expect(await run_.getAttribute("data-state")).toBe("done");
    expect(await run_.locator(".step-log").textContent()).toContain(`made in the dashboard for ${run}`);
    expect(await page.locator("#build-steps li[data-state=cached], #build-steps li[data-state=done]").count()).toBeGreaterThan(2);
    expect((await docker.images.ref(imageTag).inspect()).Config?.Labels?.["berth.test.run"]).toBe(run);
    await screenshot(page, "dashboard-build");
  });

  it("lists images, volumes and networks and removes them with a click", async () => {
    for (const [name, key, gone] of [
      ["images", imageTag, () => docker.images.ref(imageTag).inspect()],
      ["volumes", volumeName, () => docker.volumes.ref(volumeName).inspect()],
      ["networks", networkName, () => docker.networks.ref(networkName).inspect()],
    ] as const) {
      await page.locator(`#nav a[data-page=${name}]`).click();
      const row = page.locator(`#${name} tr[data-name="${key}"]`);
      await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
      if (name === "volumes") await screenshot(page, "dashboard-volumes");
      await row.locator("[data-action=remove]").click();
      await answer();
      await expect.poll(() => gone().then(() => "there", (e) => (e.isNotFound ? "gone" : String(e))), { timeout: 30_000 }).toBe("gone");
      await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(0);
    }
  });

  it("fits a 360 px wide screen: the header and the page do not overflow", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    if (await page.locator("#toast").isVisible()) await page.locator("#toast").click(); // dismissed, as a person would
    await page.locator("#nav a[data-page=containers]").click();
    await pick(tickerName);
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      header: document.querySelector("header")!.scrollWidth,
      headerBox: document.querySelector("header")!.clientWidth,
      detail: document.querySelector("#detail")!.getBoundingClientRect().right,
      nav: [...document.querySelectorAll("#nav a")].map((a) => a.getBoundingClientRect().right),
      navScroll: document.querySelector("#nav")!.scrollWidth - document.querySelector("#nav")!.clientWidth,
    }));
    expect(widths.page).toBeLessThanOrEqual(360);
    expect(widths.header).toBeLessThanOrEqual(widths.headerBox);
    expect(widths.detail).toBeLessThanOrEqual(360);
    // Every page's link in view, none scrolled off.
    for (const right of widths.nav) expect(right).toBeLessThanOrEqual(360);
    expect(widths.navScroll).toBe(0);
    await screenshot(page, "dashboard-360px");
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it("cannot be driven from another origin, though the browser sends it the cookie (same site, other port)", async () => {
    const foreign = await chromium.newPage();
    const tickerId = (await docker.containers.ref(tickerName).inspect()).Id!;
    try {
      await foreign.goto(foreignPage.url);
      const result = await foreign.evaluate(
        async ({ origin, id }) => {
          const opened = (url: string) =>
            new Promise<string>((resolve) => {
              const socket = new WebSocket(url);
              socket.onopen = () => (socket.close(), resolve("open"));
              socket.onerror = () => resolve("refused");
            });
          const post = await fetch(`${origin}/containers/${id}/pause`, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: "" }).then(
            () => "sent",
            (e: Error) => e.message,
          );
          const read = await fetch(`${origin}/containers/json`, { credentials: "include" }).then(
            (r) => String(r.status),
            () => "refused",
          );
          return { exec: await opened(`${origin.replace(/^http/, "ws")}/exec/${id}/start/ws`), post, read };
        },
        { origin: gateway.origin, id: tickerId },
      );
      expect(result.exec).toBe("refused");
      expect(result.read).toBe("refused");
      expect(await engineState(tickerId)).toBe("running");
      // The page itself, framed or fetched by another site: refused too.
      const status = await fetch(`${gateway.origin}/`, { headers: { origin: foreignPage.url, authorization: `Bearer ${gateway.token}` } }).then((r) => r.status);
      expect(status).toBe(403);
    } finally {
      await foreign.close();
    }
  });

  it("raised no uncaught errors in the page, and nothing it loads breaks its Content-Security-Policy", () => {
    expect(errors.filter((e) => e.startsWith("pageerror") || /Content Security Policy/i.test(e))).toEqual([]);
  });
});
