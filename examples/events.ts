// Watch engine events for a few seconds while a container comes and goes.
//   npx tsx --tsconfig tsconfig.json examples/events.ts
import { Docker } from "berth-docker";

const docker = Docker.fromEnv();
const events = await docker.events({ filters: { type: ["container"] }, signal: AbortSignal.timeout(5000) });
const watching = (async () => {
  try {
    for await (const e of events) console.log(`${e.Action} ${e.Actor?.Attributes?.name ?? ""}`);
  } catch {
    // the 5 s signal ended the stream
  }
})();
await docker.containers.run("berth-test:busybox", ["true"]);
await watching;
await docker.close();
