// The browser entry unchanged in an edge runtime: Cloudflare's workerd (npm
// @cloudflare/workerd-linux-64) runs a worker bundling it, which reaches the engine over TCP (a
// loopback proxy to the engine's unix socket; the worker's fetch sends no Origin).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE, useEngine } from "../engine/helpers.ts";
import { ROOT, bundle, engineProxy } from "./harness.ts";

const WORKERD = join(ROOT, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
const { labels, uniqueName } = useEngine();
const prefix = uniqueName("berth-edge");

let dir: string;
let workerd: ChildProcess;
let engine: Awaited<ReturnType<typeof engineProxy>>;
let url: string;
let log = "";
let results: Record<string, { ok: boolean; value?: unknown; error?: string }>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-workerd-"));
  // workerd's source maps would need a module of their own; a plain bundle is enough here.
  writeFileSync(join(dir, "worker.js"), (await bundle(join(ROOT, "test/browser/edge-worker.ts"))).replace(/\n\/\/# sourceMappingURL=.*$/s, "\n"));
  engine = await engineProxy();
  const port = await freePort();
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # The worker's outbound fetch: the engine proxy listens on loopback, which workerd blocks by default.
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2025-09-01",
  bindings = [ (name = "ENGINE_URL", text = "${engine.url}") ],
);
`,
  );
  workerd = spawn(WORKERD, ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
  workerd.stdout!.on("data", (d) => (log += d));
  workerd.stderr!.on("data", (d) => (log += d));
  url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/health`, { method: "HEAD" });
      break;
    } catch {
      if (i > 100 || workerd.exitCode !== null) throw new Error(`workerd did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const query = new URLSearchParams({ image: IMAGE, prefix, labels: JSON.stringify(labels) });
  const response = await fetch(`${url}/?${query}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`the worker failed (${response.status}): ${text}\n${log}`);
  results = JSON.parse(text);
}, 120_000);

afterAll(async () => {
  workerd?.kill();
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function value(name: string): any {
  expect(results[name], `scenario ${name} did not run`).toBeDefined();
  expect(results[name]!.error, `${name} failed in the worker`).toBeUndefined();
  return results[name]!.value;
}

describe("the browser entry in workerd", () => {
  it("runs in Cloudflare's runtime", () => {
    expect(value("runtime")).toBe("Cloudflare-Workers");
  });

  it("pings the engine and negotiates the API version", () => {
    expect(value("ping")).toBe("OK");
    expect(value("api-version")).toMatch(/^1\.\d+$/);
  });

  it("creates, starts and lists containers", () => {
    expect(value("list")).toEqual([{ name: `${prefix}-worker`, state: "running" }]);
  });

  it("collects exec output", () => {
    expect(value("exec-output")).toEqual({ exitCode: 2, stdout: "from the edge\n", stderr: "err\n" });
  });

  it("streams an upload body over HTTP/1.1", () => {
    expect(value("put-archive-stream")).toBe("streamed from a worker\n");
  });

  it("reads a container's logs", () => {
    expect(value("logs")).toBe("logged at the edge\n");
  });

  it("attaches over the engine's WebSocket with stdin", () => {
    expect(value("attach-websocket")).toBe("got: hello from the edge\n");
  });
});
