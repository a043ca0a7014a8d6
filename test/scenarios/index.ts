// The engine scenarios, written once and run by vitest (Node), bun test and deno test.

import { badInputScenarios } from "./bad-input.ts";
import { buildScenarios } from "./build.ts";
import { builderScenarios, buildkitScenarios } from "./buildkit.ts";
import { containerScenarios } from "./containers.ts";
import { convenienceScenarios } from "./conveniences.ts";
import { ScenarioSkip, type Scenario, type ScenarioContext, type SshAgent } from "./context.ts";
import { deadEngineScenarios } from "./dead-engine.ts";
import { imageScenarios } from "./images.ts";
import { liteScenarios } from "./lite.ts";
import { networkScenarios } from "./networks.ts";
import { parityScenarios } from "./parity.ts";
import { pluginScenarios } from "./plugins.ts";
import { sessionScenarios } from "./session.ts";
import { streamScenarios } from "./streams.ts";
import { fileSyncScenarios } from "./filesync.ts";
import { systemScenarios } from "./system.ts";
import { tlsScenarios } from "./tls.ts";
import { volumeScenarios } from "./volumes.ts";

export { assert, AssertionError, type Assert } from "./assert.ts";
export { createContext, refusedOnPodman, ScenarioSkip, TEST_IMAGE, type ContextInit, type RawConnection, type RawServer, type Scenario, type ScenarioContext, type TempEntry } from "./context.ts";

export const scenarios: Scenario[] = [
  ...systemScenarios,
  ...liteScenarios,
  ...containerScenarios,
  ...streamScenarios,
  ...parityScenarios,
  ...convenienceScenarios,
  ...imageScenarios,
  ...buildScenarios,
  ...volumeScenarios,
  ...networkScenarios,
  ...pluginScenarios,
  ...buildkitScenarios,
  ...builderScenarios,
  ...sessionScenarios,
  ...fileSyncScenarios,
  ...tlsScenarios,
  ...deadEngineScenarios,
  ...badInputScenarios,
];

/** Default time a scenario may take. */
export const SCENARIO_TIMEOUT = 60_000;

/**
 * Runs one scenario under its time limit. Resolves with the reason when it skipped itself
 * (runners report that their own way), undefined when it passed; rejects when it failed.
 */
export async function runScenario(scenario: Scenario, ctx: ScenarioContext): Promise<string | undefined> {
  const limit = scenario.timeout ?? SCENARIO_TIMEOUT;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`"${scenario.name}" did not finish within ${limit} ms`)), limit);
  });
  try {
    await Promise.race([scenario.run(ctx), expired]);
    return undefined;
  } catch (err) {
    if (err instanceof ScenarioSkip) return err.message;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
