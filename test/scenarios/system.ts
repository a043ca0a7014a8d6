// Reaching the engine: ping and version, connection failures, HTTP errors, and the event stream.

import { DockerAbortError, DockerConflictError, DockerConnectionError, DockerNotFoundError } from "../../src/errors/errors.ts";
import type { Scenario } from "./context.ts";

export const systemScenarios: Scenario[] = [
  {
    name: "ping and version",
    async run({ docker, assert }) {
      assert.equal(await docker.ping(), "OK");
      const version = await docker.version();
      assert.match(version.ApiVersion ?? "", /^\d+\.\d+$/, "ApiVersion");
      assert.match(version.Version ?? "", /\d/, "engine Version");
      assert.match(await docker.apiVersion(), /^\d+\.\d+$/, "negotiated version");
      const info = await docker.info();
      assert.ok(typeof info.ID === "string" && info.ID.length > 0, "info has an ID");
    },
  },
  {
    name: "a missing socket and a refused port are DockerConnectionErrors with address and code",
    async run({ connect, assert, run }) {
      const path = `/nonexistent-berth-${run}/docker.sock`;
      const absent = connect({ socketPath: path });
      try {
        const missing = await assert.rejects(absent.ping(), DockerConnectionError);
        assert.equal(missing.code, "ENOENT");
        assert.equal(missing.address, `unix://${path}`);
        assert.match(missing.message, /socket does not exist/);
        // The raw connection of attach/exec fails the same way.
        const raw = await assert.rejects(absent.containers.ref("x").attach({ tty: false }), DockerConnectionError);
        assert.equal(raw.code, "ENOENT");
      } finally {
        await absent.close();
      }
      // Port 2 is unassigned and not on fetch's list of blocked ports.
      const closed = connect({ host: "tcp://127.0.0.1:2" });
      try {
        const refused = await assert.rejects(closed.ping(), DockerConnectionError);
        assert.equal(refused.code, "ECONNREFUSED");
        assert.equal(refused.address, "http://127.0.0.1:2");
      } finally {
        await closed.close();
      }
    },
  },
  {
    name: "404 and 409 carry the daemon's message",
    async run({ docker, assert, container, name }) {
      const notFound = await assert.rejects(docker.containers.get(name("missing")), DockerNotFoundError);
      assert.equal(notFound.status, 404);
      assert.match(notFound.reason, /no such container/i);
      await assert.rejects(docker.images.get(`berth-no-such-image:${name("tag")}`), DockerNotFoundError);

      const taken = name("taken");
      await container({ Cmd: ["true"] }, taken);
      const conflict = await assert.rejects(container({ Cmd: ["true"] }, taken), DockerConflictError);
      assert.equal(conflict.status, 409);
      assert.match(conflict.reason, /already in use/);
    },
  },
  {
    name: "events: filtered create/start/die, then cancel by break and by signal",
    async run({ docker, assert, container }) {
      const since = new Date(Date.now() - 1000);
      const c = await container({ Cmd: ["sh", "-c", "sleep 0.3"] });
      const events = await docker.events({ since, filters: { type: ["container"], container: [c.id] } });
      await c.start();
      const seen: string[] = [];
      for await (const e of events) {
        assert.equal(e.Actor?.ID, c.id);
        seen.push(String(e.Action));
        if (e.Action === "die") break; // cancels the stream
      }
      for (const action of ["create", "start", "die"]) assert.ok(seen.includes(action), `saw ${action} in ${seen.join(",")}`);

      const controller = new AbortController();
      const live = await docker.events({ signal: controller.signal, filters: { type: ["container"], container: [c.id] } });
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      const ended = await (async () => {
        try {
          for await (const _ of live);
          return "ended";
        } catch (err) {
          return err;
        }
      })();
      assert.ok(ended !== "ended", "an aborted event stream rejects");
      assert.ok(Date.now() - started < 3000, "the abort ends the stream promptly");
      // The same typed error on every runtime, whatever the transport saw.
      assert.ok(ended instanceof DockerAbortError, `a DockerAbortError, got ${String(ended)}`);
    },
  },
];
