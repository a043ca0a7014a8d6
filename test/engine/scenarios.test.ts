// The shared engine scenarios (test/scenarios) under Node. Bun and Deno run the same ones through
// test/runtimes/.
import { Docker } from "berth-docker";
import { afterAll, describe, it } from "vitest";
import { SCENARIO_TIMEOUT, createContext, runScenario, scenarios } from "../scenarios/index.ts";
import { nodeTempDir } from "../runtimes/node-temp-dir.ts";
import { nodeListen } from "../runtimes/node-listen.ts";
import { startEngineProxy } from "../../adapters/node-proxy.ts";
import { nodeSshAgent } from "../runtimes/node-ssh-agent.ts";

const ctx = createContext({
  docker: Docker.fromEnv(),
  runtime: "node",
  connect: (options) => new Docker(options),
  fromEnv: (env) => Docker.fromEnv({ env }),
  contexts: (env) => Docker.contexts({ env }),
  env: (name) => process.env[name],
  cwd: process.cwd(),
  tempDir: nodeTempDir,
  listen: nodeListen,
  engineProxy: () => startEngineProxy(),
  sshAgent: nodeSshAgent,
});
afterAll(() => ctx.cleanup());

describe("engine scenarios on Node", () => {
  for (const scenario of scenarios) {
    it(scenario.name, async (t) => {
      const skipped = await runScenario(scenario, ctx);
      if (skipped !== undefined) t.skip(skipped);
    }, (scenario.timeout ?? SCENARIO_TIMEOUT) + 5_000);
  }
});
