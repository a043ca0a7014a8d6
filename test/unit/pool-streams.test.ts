// Long-lived streams (followed logs, events, stats, exec output) take connections outside the Node
// transport's limit: with every pooled connection following a log, other calls still get answered.
import { afterEach, describe, expect, it } from "vitest";
import { NodeTransport } from "../../adapters/node-transport.ts";
import { json, startFakeEngine, type FakeEngine } from "./fake-engine.ts";

const engines: FakeEngine[] = [];
const transports: NodeTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const e of engines.splice(0)) await e.close();
});

describe("the pool's limit and long-lived streams", () => {
  it("streams do not use up maxSockets; plain requests beyond it still wait their turn", async () => {
    const engine = await startFakeEngine((req, socket) => {
      // A followed stream: the head and one chunk, and the body stays open.
      if (req.path.startsWith("/stream")) return void socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{}\n\r\n");
      json(socket, { path: req.path });
    });
    engines.push(engine);
    const transport = new NodeTransport({ socketPath: engine.path }, { maxSockets: 2 });
    transports.push(transport);
    const streams = await Promise.all([1, 2, 3].map((i) => transport.request({ method: "GET", path: `/stream/${i}`, headers: {}, stream: true })));
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    // Three streams open on three connections, and the two pooled ones are still free.
    const answers = await Promise.all([1, 2, 3, 4].map(async (i) => JSON.parse(await (await transport.request({ method: "GET", path: `/json/${i}`, headers: {} })).text())));
    expect(answers.map((a) => a.path)).toEqual(["/json/1", "/json/2", "/json/3", "/json/4"]);
    expect(engine.connections).toBe(5);
    for (const s of streams) await s.body!.cancel();
  });
});
