// A TLS engine (scripts/tls-engine.sh: --tlsverify on 127.0.0.1:2376), reached through the
// runtime's own fromEnv with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: the runtime's TLS for
// requests and for the raw connection of exec, half-close included; and a wrong CA refused.

import { DockerConnectionError } from "../../src/errors/errors.ts";
import type { Docker } from "../../src/docker.ts";
import type { Scenario, ScenarioContext } from "./context.ts";

const TLS_HOST = "tcp://127.0.0.1:2376";

function stateDir(ctx: ScenarioContext): string {
  return ctx.env("BERTH_TLS_ENGINE_STATE") || "/var/lib/berth-tls-engine";
}

/** The TLS engine through fromEnv, or a skip (a failure under CI) when it is not there. */
async function tlsEngine(ctx: ScenarioContext, certDir: string): Promise<Docker> {
  let docker: Docker;
  try {
    docker = ctx.fromEnv({ DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certDir });
  } catch (err) {
    ctx.skip(`no TLS client material in ${certDir} (${(err as Error).message}): start the engine with scripts/tls-engine.sh`);
  }
  try {
    await docker.ping({ timeout: 5000 });
  } catch (err) {
    await docker.close();
    if (err instanceof DockerConnectionError && err.code === "ECONNREFUSED") {
      ctx.skip(`no TLS engine on ${TLS_HOST}: start it with scripts/tls-engine.sh`);
    }
    throw err;
  }
  return docker;
}

export const tlsScenarios: Scenario[] = [
  {
    name: "TLS engine: verified requests, exec with stdin over TLS, a wrong CA refused with the reason",
    async run(ctx) {
      const { assert, labels, image } = ctx;
      const docker = await tlsEngine(ctx, `${stateDir(ctx)}/client`);
      try {
        assert.equal(docker.address, "https://127.0.0.1:2376");
        assert.match((await docker.version()).ApiVersion ?? "", /^\d+\.\d+$/);
        const c = await docker.containers.create({ Image: image, Cmd: ["sleep", "600"], Labels: labels, HostConfig: { NetworkMode: "none" } });
        try {
          await c.start();
          const payload = "over tls\n" + "y".repeat(100_000) + "\n";
          const r = await c.exec(["cat"], { stdin: payload });
          assert.equal(r.exitCode, 0);
          assert.ok(r.stdout === payload, `cat echoed ${r.stdout.length} of ${payload.length} bytes over TLS`);
        } finally {
          await c.remove({ force: true }).catch(() => {});
        }
      } finally {
        await docker.close();
      }

      // A CA that did not sign the engine's certificate: the connection must fail, never fall back.
      const wrong = ctx.fromEnv({ DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: `${stateDir(ctx)}/wrong-ca` });
      try {
        const err = await assert.rejects(wrong.ping({ timeout: 5000 }), DockerConnectionError);
        assert.equal(err.address, "https://127.0.0.1:2376");
        assert.match(err.message, /TLS verification failed: the engine's certificate is not signed by a trusted CA/);
        // The raw connection of attach and exec verifies the same way, before sending anything.
        const raw = await assert.rejects(wrong.containers.ref("any").attach({ tty: false, timeout: 5000 }), DockerConnectionError);
        assert.match(raw.message, /TLS verification failed: the engine's certificate is not signed by a trusted CA/);
      } finally {
        await wrong.close();
      }
    },
  },
];
