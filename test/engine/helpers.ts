// Shared by the engine tests: a client, the test image, and labels so everything a test file
// creates can be found and removed at the end, without touching what other files create.
import { Docker, type ContainerCreateBody } from "berth-docker";
import { afterAll } from "vitest";
import { removeLabelled } from "../scenarios/context.ts";

export const IMAGE = "berth-test:busybox";

/**
 * A client, and a label unique to the calling test file, cleaned up after the file's tests;
 * `prefix` starts the label's value (`dash-...`), to tell a suite's leftovers apart.
 */
export function useEngine(prefix?: string) {
  const docker = Docker.fromEnv();
  const run = `${prefix ? `${prefix}-` : ""}${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const labels = { "berth.test": "1", "berth.test.run": run };
  afterAll(async () => {
    await cleanup(docker, run);
    await docker.close();
  });

  /** Creates a labelled container from the test image. */
  async function container(config: Partial<ContainerCreateBody> = {}, name?: string) {
    return docker.containers.create({ Image: IMAGE, ...config, Labels: { ...labels, ...config.Labels } }, { name });
  }
  return { docker, labels, run, container, uniqueName: (prefix = "berth") => `${prefix}-${run}-${Math.random().toString(36).slice(2, 7)}` };
}

/** What the file's tests made: everything labelled with its run (test/scenarios/context.ts). */
export const cleanup = removeLabelled;
