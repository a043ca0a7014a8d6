// The shared engine scenarios (test/scenarios) under Bun, through berth's Bun adapter.
//   bun test ./test/runtimes/bun.test.ts
import { cwd } from "node:process"; // Bun implements node:process
import { afterAll, test } from "bun:test";
import { Docker } from "../../adapters/bun.ts";
import { SCENARIO_TIMEOUT, createContext, runScenario, scenarios } from "../scenarios/index.ts";
import { nodeTempDir } from "./node-temp-dir.ts";
import { nodeListen } from "./node-listen.ts";
import { startEngineProxy } from "../../adapters/node-proxy.ts"; // on Bun's node:http
import { nodeSshAgent } from "./node-ssh-agent.ts";

declare const Bun: { env: Record<string, string | undefined>; version: string };

const ctx = createContext({
  docker: Docker.fromEnv(),
  runtime: "bun",
  connect: (options) => new Docker(options),
  fromEnv: (env) => Docker.fromEnv({ env }),
  contexts: (env) => Docker.contexts({ env }),
  env: (name) => Bun.env[name],
  cwd: cwd(),
  tempDir: nodeTempDir, // Bun implements node:fs
  listen: nodeListen,
  engineProxy: () => startEngineProxy(),
  sshAgent: nodeSshAgent,
});
afterAll(() => ctx.cleanup(), 60_000);

for (const scenario of scenarios) {
  test(scenario.name, async () => {
    const skipped = await runScenario(scenario, ctx);
    // bun test has no skip from inside a test: say so plainly.
    if (skipped !== undefined) console.warn(`SKIPPED on Bun ${Bun.version}: ${scenario.name}: ${skipped}`);
  }, (scenario.timeout ?? SCENARIO_TIMEOUT) + 5_000);
}
