// Reaching the engine: ping, version and info, TCP and a pinned version, connection failures, HTTP
// errors, the raw request, the session upgrade, and the event stream.

import { DockerAbortError, DockerConflictError, DockerConnectionError, DockerNotFoundError, DockerUnsupportedError, DockerVersionError, isNotFound } from "../../src/errors/errors.ts";
import type { Scenario } from "./context.ts";

export const systemScenarios: Scenario[] = [
  {
    name: "ping (GET and HEAD), version negotiation, info and disk usage",
    async run({ docker, assert, image }) {
      assert.equal(await docker.ping(), "OK");
      assert.equal(await docker.ping({ method: "HEAD" }), "");
      const version = await docker.version();
      assert.match(version.ApiVersion ?? "", /^\d+\.\d+$/, "ApiVersion");
      assert.match(version.Version ?? "", /\d/, "engine Version");
      assert.equal(await docker.apiVersion(), version.ApiVersion, "the negotiated version is the engine's");
      const info = await docker.info();
      assert.ok(typeof info.ID === "string" && info.ID.length > 0, "info has an ID");
      assert.equal(typeof info.Containers, "number");
      const df = await docker.df();
      assert.ok(Array.isArray(df.Images), "df lists images");
      // Podman 4's df lists only the tag part of each name ("busybox").
      const listed = (await docker.isPodman()) ? "busybox" : image;
      assert.ok(df.Images!.some((i) => i.RepoTags?.includes(listed)), `${listed} in df's images`);
    },
  },
  {
    name: "a pinned version is used as given; TCP reaches the engine too",
    async run({ docker, assert, connect, env, tcpEngine }) {
      const pinned = connect({ host: env("DOCKER_HOST") || "unix:///var/run/docker.sock", version: "1.30" });
      try {
        assert.equal(await pinned.apiVersion(), "1.30");
        assert.equal(await pinned.ping(), "OK");
      } finally {
        await pinned.close();
      }
      // The engine listens on its unix socket only: TCP through a loopback proxy to it.
      const tcp = connect({ host: await tcpEngine() });
      try {
        assert.equal(await tcp.ping(), "OK");
        assert.equal((await tcp.version()).ApiVersion, (await docker.version()).ApiVersion);
      } finally {
        await tcp.close();
      }
    },
  },
  {
    name: "any operation through the typed raw request; one newer than the engine is refused, naming the version it needs",
    async run({ docker, assert, image }) {
      const list = await docker.request("GET /images/json", { query: { filters: { reference: [image] } } });
      assert.equal(list.length, 1);
      assert.includes(list[0]!.RepoTags, (await docker.isPodman()) ? `localhost/${image}` : image);
      const err = await assert.rejects(docker.images.ref(image).attestations(), DockerVersionError);
      assert.equal(err.required, "1.55");
    },
  },
  {
    name: "a BuildKit session connection (upgraded to h2c), and a build cache prune",
    async run({ docker, assert }) {
      if (await docker.isPodman()) {
        // Podman has no BuildKit, no /session endpoint and no build cache.
        await assert.rejects(docker.session(), DockerUnsupportedError, "session on Podman");
        await assert.rejects(docker.images.pruneBuildCache(), DockerUnsupportedError, "build cache prune on Podman");
        return;
      }
      const conn = await docker.session({ headers: { "X-Docker-Expose-Session-Uuid": "berth-test-session", "X-Docker-Expose-Session-Name": "berth" } });
      assert.equal(conn.status, 101);
      conn.close();
      const result = await docker.images.pruneBuildCache();
      assert.equal(typeof result.SpaceReclaimed, "number");
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
        // It names the path and how to point elsewhere.
        assert.includes(missing.message, `unix://${path}`);
        assert.includes(missing.message, "DOCKER_HOST");
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
        assert.includes(refused.message, "http://127.0.0.1:2");
      } finally {
        await closed.close();
      }
    },
  },
  {
    name: "404 and 409 carry the daemon's message",
    async run({ docker, assert, container, name }) {
      const missing = name("missing");
      const notFound = await assert.rejects(docker.containers.get(missing), DockerNotFoundError);
      assert.equal(notFound.status, 404);
      assert.equal(notFound.isNotFound, true);
      assert.equal(isNotFound(notFound), true);
      // dockerd: "No such container: NAME"; Podman: "no container with name or ID ... found: no such container".
      assert.match(notFound.reason, /no such container/i);
      assert.equal(notFound.method, "GET");
      assert.equal(notFound.path, `/containers/${missing}/json`);
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
