// Records the bytes the engine sends on one real build session (the HTTP/2 client side of the
// hijacked POST /session: preface, SETTINGS, HPACK headers, gRPC DATA, RST/GOAWAY) into
// test/fixtures/session/, where test/unit/session-replay.test.ts replays them into berth's HTTP/2
// host. Run once per engine when the fixture needs renewing:
//
//   DOCKER_HOST=unix:///var/run/docker.sock npx tsx scripts/capture-session-frames.ts
//
// The build reads a secret (a fixed test value, FIXTURE_SECRET below) and asks a real ssh-agent for
// its identities and a signature; the agent's key is fresh and never crosses the wire.
import { writeFile } from "node:fs/promises";
import { Docker } from "../adapters/node.ts";
import { lazySessionHost } from "../adapters/session-host.ts";
import type { SessionHost } from "../src/buildkit/session/host.ts";
import { nodeSshAgent } from "../test/runtimes/node-ssh-agent.ts";
import { FIXTURE_SECRET } from "../test/fixtures/session/secret.ts";

// One list of chunks per session (on Docker Engine 23 the client image's build opens one too).
const sessions: Uint8Array[][] = [];
const inner = lazySessionHost((name) => process.env[name]);
const recording: SessionHost = {
  ...inner,
  serveHttp2(connection, onStream) {
    const [mine, recorded] = connection.readable.tee();
    const chunks: Uint8Array[] = [];
    sessions.push(chunks);
    void (async () => {
      const reader = recorded.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    })();
    return inner.serveHttp2({ ...connection, readable: mine }, onStream);
  },
};

const docker = Docker.fromEnv({ sessionHost: recording });
const label = { "berth.test": "1", "berth.run": "capture-session" };
const agent = await nodeSshAgent("berth-fixture-key");
const client = "berth-capture-ssh-client:latest";
try {
  await docker.images.build([{ name: "Dockerfile", data: "FROM berth-test:busybox\nCOPY rootfs/ /\n" }, ...agent.client], { tag: client, labels: label });
  const run = [
    "test \"$(cat /run/secrets/token)\" = " + FIXTURE_SECRET,
    "ssh-add -l",
    "echo fixture > /message",
    `echo '${agent.publicKey}' > /key.pub`,
    "ssh-keygen -Y sign -f /key.pub -n berth /message",
  ].join(" && ");
  const built = await docker.images.build([{ name: "Dockerfile", data: `FROM ${client}\nRUN --mount=type=secret,id=token --mount=type=ssh ${run}\n` }], {
    builder: "buildkit",
    noCache: true,
    labels: label,
    secrets: { token: FIXTURE_SECRET },
    ssh: { default: agent.socketPath },
  });
  await docker.images.ref(built.id).remove({ force: true });
  const version = await docker.version();
  const fixture = {
    engine: `Docker Engine ${version.Version} (API ${version.ApiVersion})`,
    recorded: new Date().toISOString().slice(0, 10),
    secret: { id: "token" },
    // per session, base64 chunk by chunk as they arrived
    sessions: sessions.map((chunks) => chunks.map((c) => Buffer.from(c).toString("base64"))),
  };
  const name = `test/fixtures/session/engine-${/^\d+\.\d+\.\d+/.exec(version.Version ?? "")?.[0] ?? "unknown"}.json`;
  await writeFile(name, JSON.stringify(fixture, null, 1) + "\n");
  console.log(`${name}: ${sessions.map((chunks) => `${chunks.reduce((n, c) => n + c.length, 0)} bytes`).join(", ")}`);
} finally {
  await docker.images.ref(client).remove({ force: true }).catch(() => {});
  await agent.close();
  await docker.close();
}
