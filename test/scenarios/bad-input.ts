// Bad input that fetch-based transports used to report as a failure to reach the engine: header
// names and values fetch refuses, a client certificate without its key, and a TLS engine reached
// by a name its certificate does not carry.

import { DockerConfigError, DockerConnectionError, DockerError } from "../../src/errors/errors.ts";
import type { Scenario } from "./context.ts";

const TLS_PORT = 2376;

export const badInputScenarios: Scenario[] = [
  {
    name: "invalid header names and values: a typed error naming the header, not its value, and nothing sent",
    async run(ctx) {
      const { assert } = ctx;
      let requests = 0;
      const server = await ctx.listen((conn) => {
        conn.onData(() => {
          requests++;
          conn.write("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK");
        });
      });
      const cases: Array<[string, string]> = [
        ["x-berth-crlf", "secret-one\r\nX-Injected: 1"],
        ["x berth space", "1"],
        ["x-berth-nul", "secret-two\0"],
        // Would go out as CR LF if cut to Latin-1: one rule (src/transport/http/wire.ts) refuses it everywhere.
        ["x-berth-wide", "secret-three\u010D\u010A"],
      ];
      for (const via of ["unix", "tcp"] as const) {
        const docker = ctx.connect(via === "unix" ? { socketPath: server.socketPath, version: "1.41" } : { host: `tcp://127.0.0.1:${server.port}`, version: "1.41" });
        try {
          for (const [name, value] of cases) {
            const err = await assert.rejects(docker.ping({ headers: { [name]: value } }), DockerError, `${via} ${JSON.stringify(name)}`);
            assert.ok(!(err instanceof DockerConnectionError), `${via} ${JSON.stringify(name)}: bad input, not a connection failure: ${err.message}`);
            assert.ok(err instanceof DockerConfigError, `${via} ${JSON.stringify(name)}: a DockerConfigError, got ${err.name}`);
            assert.ok(err.message.includes(JSON.stringify(name)), `${via}: the message names ${JSON.stringify(name)}: ${err.message}`);
            assert.ok(!/secret/.test(err.message), `${via}: the message leaves the value out: ${err.message}`);
          }
          assert.equal(requests, 0, `${via}: requests that reached the engine`);
          // The same client still works: nothing was left half-written.
          assert.equal(await docker.ping(), "OK");
          requests = 0;
        } finally {
          await docker.close();
        }
      }
    },
  },
  {
    name: "a TLS client certificate without its key (or a key without its certificate) is a DockerConfigError before connecting",
    async run(ctx) {
      const { assert } = ctx;
      // Node's check lives with its TLS options (adapters/node-config.ts), tested there.
      if (ctx.runtime === "node") return;
      let connections = 0;
      const server = await ctx.listen((conn) => {
        connections++;
        conn.destroy();
      });
      const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
      const host = `tcp://127.0.0.1:${server.port}`;
      for (const [tls, missing] of [[{ cert: pem }, /without its key: pass tls\.key/], [{ key: pem }, /without its certificate: pass tls\.cert/]] as const) {
        let thrown: unknown;
        try {
          const docker = ctx.connect({ host, tls, version: "1.41" });
          await docker.ping().finally(() => docker.close());
        } catch (err) {
          thrown = err;
        }
        assert.ok(thrown instanceof DockerConfigError, `a DockerConfigError, got ${(thrown as Error)?.name}: ${(thrown as Error)?.message}`);
        assert.match((thrown as Error).message, missing);
      }
      assert.equal(connections, 0, "connections made");
    },
  },
  {
    name: "TLS engine reached by a name its certificate lacks: the error says so, for requests and the raw connection",
    async run(ctx) {
      const { assert } = ctx;
      const certs = `${ctx.env("BERTH_TLS_ENGINE_STATE") || "/var/lib/berth-tls-engine"}/client`;
      // The certificate of scripts/tls-engine.sh names 127.0.0.1 and localhost: the same address
      // written as an IPv4-mapped IPv6 one reaches the engine under a name it does not carry.
      const env = { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs, DOCKER_API_VERSION: "1.41" };
      try {
        const good = ctx.fromEnv({ ...env, DOCKER_HOST: `tcp://127.0.0.1:${TLS_PORT}` });
        await good.ping({ timeout: 5000 }).finally(() => good.close());
      } catch (err) {
        ctx.skip(`no TLS engine on 127.0.0.1:${TLS_PORT} (${(err as Error).message}): start it with scripts/tls-engine.sh`);
      }
      const wrong = ctx.fromEnv({ ...env, DOCKER_HOST: `tcp://[::ffff:127.0.0.1]:${TLS_PORT}` });
      try {
        const err = await assert.rejects(wrong.ping({ timeout: 5000 }), DockerConnectionError);
        assert.match(err.message, /TLS verification failed: the engine's certificate does not name the host connected to/);
        // The version is pinned, so attach goes straight to the raw connection's own handshake.
        const raw = await assert.rejects(wrong.containers.ref("any").attach({ tty: true, timeout: 5000 }), DockerConnectionError);
        assert.match(raw.message, /TLS verification failed: the engine's certificate does not name the host connected to/);
      } finally {
        await wrong.close();
      }
    },
  },
];
