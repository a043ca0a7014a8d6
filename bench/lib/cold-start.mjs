// Workload 8, run in a fresh process per measurement: load the client, then complete a first ping.
// `<runtime> bench/lib/cold-start.mjs <client> [berth module]`. Prints `@@RESULT {importMs, pingMs,
// sinceStartMs}`; sinceStartMs counts from the runtime's own time origin, so it includes booting it.

import process from "node:process";

const SOCKET = process.env.BERTH_BENCH_SOCKET ?? "/var/run/docker.sock";
const [client, berthModule] = process.argv.slice(2);

const t0 = performance.now();
let ping;
switch (client) {
  case "berth": {
    const { Docker } = await import(berthModule);
    const docker = typeof Docker.fromEnv === "function" ? Docker.fromEnv() : new Docker();
    ping = () => docker.ping();
    break;
  }
  case "dockerode": {
    const { createRequire } = await import("node:module");
    const Dockerode = createRequire(import.meta.url)("dockerode");
    const docker = new Dockerode({ socketPath: SOCKET });
    ping = () => docker.ping();
    break;
  }
  case "node-sdk": {
    const { DockerClient } = await import("@docker/node-sdk");
    // Constructing it is part of loading: fromDockerHost is how its README opens a client.
    const sdk = await DockerClient.fromDockerHost(`unix://${SOCKET}`);
    ping = () => sdk.systemPing();
    break;
  }
  case "node:http": {
    const { default: http } = await import("node:http");
    const agent = new http.Agent({ keepAlive: true });
    ping = () =>
      new Promise((resolve, reject) => {
        http
          .get({ agent, socketPath: SOCKET, path: "/_ping", headers: { host: "docker" } }, (res) => {
            let s = "";
            res.on("data", (c) => (s += c));
            res.on("end", () => resolve(s));
          })
          .on("error", reject);
      });
    break;
  }
  default:
    throw new Error(`unknown client ${client}`);
}
const t1 = performance.now();
const answer = String(await ping());
const t2 = performance.now();
// (node-sdk's systemPing resolves with the API version instead of the body)
if (!answer) throw new Error("ping answered nothing");
process.stdout.write(`@@RESULT ${JSON.stringify({ importMs: t1 - t0, pingMs: t2 - t1, sinceStartMs: t2 })}\n`);
process.exit(0);
