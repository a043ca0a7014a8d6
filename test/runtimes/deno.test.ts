// The shared engine scenarios (test/scenarios) under Deno, through berth's Deno adapter.
//   deno test --allow-net --allow-read --allow-write --allow-env --allow-run=ssh-agent,ssh-add,ssh-keygen,ldd test/runtimes/deno.test.ts
import { Docker } from "../../adapters/deno.ts";
import { createContext, runScenario, scenarios, type TempEntry } from "../scenarios/index.ts";
import { permissionCases } from "./deno-permissions.ts";
import { nodeListen } from "./node-listen.ts";
import { startEngineProxy } from "../../adapters/node-proxy.ts"; // on Deno's node:http
import { nodeSshAgent } from "./node-ssh-agent.ts";
import "./deno-pool.test.ts"; // the pool against a fake engine, with the suite

// Declared here rather than taken from Deno's global types, so tsc checks this file too.
declare const Deno: {
  test: {
    (definition: { name: string; fn: () => Promise<void>; sanitizeOps?: boolean; sanitizeResources?: boolean; permissions?: Record<string, boolean> }): void;
    afterAll(fn: () => Promise<void>): void;
  };
  env: { get(name: string): string | undefined };
  version: { deno: string };
  cwd(): string;
  makeTempDir(options: { prefix: string }): Promise<string>;
  mkdir(path: string, options: { recursive: true }): Promise<void>;
  writeTextFile(path: string, text: string): Promise<void>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  remove(path: string, options: { recursive: true }): Promise<void>;
};

async function denoTempDir(files: Record<string, TempEntry>): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: "berth-scenario-" });
  for (const [name, data] of Object.entries(files)) {
    const file = `${path}/${name}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(file, data);
    else if (data instanceof Uint8Array) await Deno.writeFile(file, data);
    else if ("symlink" in data) await Deno.symlink(data.symlink, file);
    else await Deno.mkdir(file, { recursive: true });
  }
  return { path, remove: () => Deno.remove(path, { recursive: true }) };
}

const ctx = createContext({
  docker: Docker.fromEnv(),
  runtime: "deno",
  connect: (options) => new Docker(options),
  fromEnv: (env) => Docker.fromEnv({ env }),
  contexts: (env) => Docker.contexts({ env }),
  env: (name) => Deno.env.get(name),
  cwd: Deno.cwd(),
  tempDir: denoTempDir,
  listen: nodeListen, // Deno implements node:net
  engineProxy: () => startEngineProxy(),
  sshAgent: nodeSshAgent,
});
Deno.test.afterAll(() => ctx.cleanup());

for (const scenario of scenarios) {
  Deno.test({
    name: scenario.name,
    // One client serves every scenario: its pooled connections outlive each test by design.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const skipped = await runScenario(scenario, ctx);
      if (skipped !== undefined) console.warn(`SKIPPED on Deno ${Deno.version.deno}: ${scenario.name}: ${skipped}`);
    },
  });
}

for (const { name, permissions, fn } of permissionCases) {
  Deno.test({ name, permissions: { run: false, ffi: false, sys: false, ...permissions }, fn });
}
