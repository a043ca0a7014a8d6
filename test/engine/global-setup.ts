// Runs once before the engine tests: the engine must answer. Under CI a missing engine fails the
// run loudly; it never turns into skipped tests.
import { Docker } from "berth-docker";

export default async function setup(): Promise<void> {
  const docker = Docker.fromEnv({ timeout: 10_000 });
  try {
    await docker.ping();
    await docker.images.get("berth-test:busybox");
  } catch (err) {
    throw new Error(
      `The engine tests need a Docker engine with the image berth-test:busybox (run scripts/engine.sh, or set DOCKER_HOST): ${(err as Error).message}`,
    );
  } finally {
    await docker.close();
  }
}
