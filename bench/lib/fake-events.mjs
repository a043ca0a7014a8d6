// A fake engine for the events workload: `node bench/lib/fake-events.mjs <socket> <events> <rate>`
// listens on a unix socket and answers /_ping, /version and /events, the last with <events> events
// at <rate> per second (a batch every 10 ms, as a busy engine flushes them), then ends the stream.
// A real engine cannot produce 10,000 events a second on this machine's 2 cores; the client's work per
// event is the same. It runs in a process of its own, so its CPU is not the client's. Prints "ready".

import http from "node:http";
import { rmSync } from "node:fs";
import process from "node:process";

const [socket, total, rate] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const TICK_MS = 10;

/** A container event as dockerd 20.10 writes it (about 450 bytes). */
function event(i) {
  const id = i.toString(16).padStart(64, "0");
  const now = Date.now();
  return JSON.stringify({
    status: "start",
    id,
    from: "berth-test:busybox",
    Type: "container",
    Action: "start",
    Actor: { ID: id, Attributes: { "berth.bench": "events", image: "berth-test:busybox", name: `bench-${i % 1000}`, "com.example.service": "web" } },
    scope: "local",
    time: Math.floor(now / 1000),
    timeNano: now * 1e6,
  }) + "\n";
}

rmSync(socket, { force: true });
const server = http.createServer((req, res) => {
  const path = req.url.replace(/^\/v[\d.]+/, "").split("?")[0];
  const headers = { "Api-Version": "1.41", Server: "Docker/20.10.24 (linux)", "Docker-Experimental": "false" };
  if (path === "/_ping") return res.writeHead(200, { ...headers, "Content-Type": "text/plain" }).end("OK");
  if (path === "/version") return res.writeHead(200, { ...headers, "Content-Type": "application/json" }).end(JSON.stringify({ Version: "20.10.24", ApiVersion: "1.41", MinAPIVersion: "1.12", Components: [{ Name: "Engine" }] }));
  if (path !== "/events") return res.writeHead(404, { ...headers, "Content-Type": "application/json" }).end('{"message":"page not found"}');
  res.writeHead(200, { ...headers, "Content-Type": "application/json" });
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  let sent = 0;
  const started = performance.now();
  const tick = () => {
    let batch = "";
    const due = Math.min(total, Math.round(((performance.now() - started) / 1000) * rate) + perTick);
    while (sent < due) batch += event(sent++);
    if (batch) res.write(batch);
    if (sent >= total) return res.end();
    setTimeout(tick, TICK_MS);
  };
  tick();
});
server.listen(socket, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
