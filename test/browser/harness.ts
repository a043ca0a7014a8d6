// Shared by the browser tests: Debian's Chromium driven by playwright-core, a page served on
// 127.0.0.1 (a data: or file: page cannot reach the engine), bundles made with esbuild, and the
// engine's TCP endpoint for them: the engine listens on its unix socket only (scripts/engine.sh),
// so each suite starts a loopback proxy of its own (adapters/node-proxy.ts) that answers CORS for
// that suite's page origin only, and closes it when the suite ends.
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startEngineProxy, type EngineProxy } from "../../adapters/node-proxy.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const ARTIFACTS = join(ROOT, "test-artifacts");
export const CHROMIUM = "/usr/bin/chromium";

/**
 * A fresh headless Chromium with its own profile (a new --user-data-dir, removed on close).
 * playwright-core passes --headless and --user-data-dir itself (it refuses them in `args`).
 */
export async function launchChromium(extraArgs: string[] = []): Promise<{ context: BrowserContext; newPage(): Promise<Page>; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "berth-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Bundles a browser entry (TypeScript, importing adapters/browser.ts) into one ESM script. */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    sourcemap: "inline",
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/** Serves fixed files on 127.0.0.1 at a free port. */
export async function serveFiles(files: Record<string, { type: string; body: string }>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = files[path];
    if (!file) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The engine (DOCKER_HOST's unix socket, else /var/run/docker.sock) on a random loopback port, for
 * pages of `origins` (CORS for them, 403 for every other origin) and clients without an Origin.
 */
export function engineProxy(...origins: string[]): Promise<EngineProxy> {
  return startEngineProxy({ origins });
}

/** Saves a screenshot under test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects the page's console errors and uncaught exceptions, for failure messages. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  return errors;
}
