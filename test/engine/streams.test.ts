// What cancel() leaves of a stream's connection, on the Node adapter's own pool (maxSockets: 1):
// Bun and Deno pool inside their fetch, with no such option. The engine's streams themselves are
// shared scenarios (test/scenarios/streams.ts, containers.ts), run on every runtime.
import { afterAll, describe, expect, it } from "vitest";
import { Docker } from "berth-docker";
import { useEngine } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("cancel() while a for await reads", () => {
  const { container } = useEngine();
  // Clients of one connection each: if a cancelled stream kept it, the next call would queue behind it.
  const clients: Docker[] = [];
  afterAll(() => Promise.all(clients.map((client) => client.close())));
  function single(): Docker {
    const client = Docker.fromEnv({ maxSockets: 1 });
    clients.push(client);
    return client;
  }

  /** Reads `stream` until it ends, calling cancel() at 0.5 s; "hung" if it is still open at 10 s. */
  async function cancelAtHalfSecond(stream: AsyncIterable<unknown> & { cancel(): Promise<void> }) {
    const timer = setTimeout(() => void stream.cancel(), 500);
    let items = 0;
    const loop = (async () => {
      for await (const _ of stream) items++;
      return "ended" as const;
    })();
    const outcome = await Promise.race([loop, sleep(10_000).then(() => "hung" as const)]);
    clearTimeout(timer);
    return { outcome, items };
  }

  /** A call on the single connection; "queued" if it cannot get it within 5 s. */
  async function nextCall(one: Docker) {
    return Promise.race([one.ping().then(() => "answered" as const), sleep(5_000).then(() => "queued" as const)]);
  }

  it("a followed log ends, and its connection is free for the next call", async () => {
    const one = single();
    const c = await container({ Cmd: ["sh", "-c", "while true; do echo tick; sleep 0.05; done"] });
    await c.start();
    const logs = await one.containers.ref(c.id).logs({ follow: true });
    const { outcome, items } = await cancelAtHalfSecond(logs);
    expect(outcome).toBe("ended");
    expect(items).toBeGreaterThan(0);
    expect(await nextCall(one)).toBe("answered");
    await c.kill();
  });

  it("an events stream ends, and its connection is free for the next call", async () => {
    const one = single();
    const c = await container({ Cmd: ["sleep", "30"] });
    const events = await one.events({ filters: { container: [c.id] } });
    await c.start();
    const { outcome } = await cancelAtHalfSecond(events);
    expect(outcome).toBe("ended");
    expect(await nextCall(one)).toBe("answered");
    await c.kill();
  });
});
