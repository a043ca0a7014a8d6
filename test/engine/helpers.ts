// Shared by the engine tests: a client, the test image, and labels so everything a test file
// creates can be found and removed at the end, without touching what other files create.
import { Docker, type ContainerCreateBody } from "berth-docker";
import { afterAll } from "vitest";

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

export async function cleanup(docker: Docker, run: string): Promise<void> {
  const filters = { label: [`berth.test.run=${run}`] };
  for (const c of await docker.containers.list({ all: true, filters })) {
    await c.remove({ force: true, v: true }).catch(() => {});
  }
  // Listed and removed one by one, not pruned: from API 1.42 on, a volume prune spares named
  // volumes (unless `all`), and what a test built is an image no prune of containers reaches.
  for (const image of await docker.images.list({ filters }).catch(() => [])) {
    await image.remove({ force: true }).catch(() => {});
  }
  for (const network of await docker.networks.list({ filters }).catch(() => [])) {
    await network.remove().catch(() => {});
  }
  for (const volume of await docker.volumes.list({ filters }).catch(() => [])) {
    await volume.remove({ force: true }).catch(() => {});
  }
}
