// BuildKit builds (`builder: "buildkit"`, and `auto` on engines that default to it): cache mounts,
// multi-stage targets, typed progress, a failing step's own output, abort. On Podman every build
// is buildah's, which reads the same Dockerfile syntax: the scenarios hold there too.

import { DockerAbortError } from "../../src/errors/errors.ts";
import { DockerBuildError, type BuildEvent } from "../../src/buildkit/build-stream.ts";
import type { BuildStepState } from "../../src/buildkit/model.ts";
import type { Scenario } from "./context.ts";

const ORDER: Record<BuildStepState, number> = { waiting: 0, running: 1, cached: 2, done: 2, failed: 2 };

export const buildkitScenarios: Scenario[] = [
  {
    name: "BuildKit: a cache mount keeps what one build wrote for the next build",
    timeout: 180_000,
    async run({ docker, assert, run, labels, image, defer }) {
      const cacheId = `berth-cache-${run}`;
      const mount = `--mount=type=cache,id=${cacheId},target=/cache`;
      const tag = `berth-scenario-bk-cache:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      const first = await docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN ${mount} echo ${run} > /cache/seen\n` }], { builder: "buildkit", labels });
      defer(() => docker.images.ref(first.id).remove({ force: true }));
      await docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN ${mount} cat /cache/seen > /found\n` }], { builder: "buildkit", tag, labels });
      const found = await docker.containers.run(tag, ["cat", "/found"], { config: { Labels: labels } });
      assert.equal(found.stdout, `${run}\n`, "the second build read the file the first wrote into the cache mount");
    },
  },
  {
    name: "BuildKit: a multi-stage build stops at its target, with typed steps in order",
    timeout: 180_000,
    async run({ docker, assert, run, labels, image, defer }) {
      const tag = `berth-scenario-bk-target:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      const dockerfile = `FROM ${image} AS first\nRUN echo one-${run} > /one\nFROM first AS second\nRUN echo two > /two\nFROM ${image} AS unused\nRUN exit 9\n`;
      const stream = await docker.images.buildStream([{ name: "Dockerfile", data: dockerfile }], { builder: "buildkit", target: "second", tag, labels });
      const events: BuildEvent[] = [];
      const seen = new Map<string, BuildStepState>();
      for await (const event of stream) {
        events.push(event);
        if (event.type !== "step") continue;
        const before = seen.get(event.step.digest);
        assert.ok(before === undefined || ORDER[event.step.state] >= ORDER[before], `${event.step.name}: ${before} then ${event.step.state}`);
        seen.set(event.step.digest, event.step.state);
      }
      const ids = events.flatMap((e) => (e.type === "image" ? [e.id] : []));
      assert.equal(ids.length, 1, "one image id");
      // After a loop that read it all, done() gives the result without reading again.
      assert.equal((await stream.done()).id, ids[0]);
      const podman = await docker.isPodman();
      const steps = stream.steps;
      assert.ok(steps.every((s) => s.state === "done" || s.state === "cached"), JSON.stringify(steps.map((s) => [s.name, s.state])));
      assert.ok(steps.some((s) => /RUN echo two > \/two$/.test(s.name)), "the target's own step");
      if (!podman) assert.ok(!steps.some((s) => /exit 9/.test(s.name)), "BuildKit skips a stage the target does not need");
      const out = await docker.containers.run(tag, ["cat", "/one", "/two"], { config: { Labels: labels } });
      assert.equal(out.stdout, `one-${run}\ntwo\n`);
    },
  },
  {
    name: "BuildKit: a failing step rejects with a DockerBuildError naming it, its exit code and output",
    timeout: 180_000,
    async run({ docker, assert, run, labels, image }) {
      const dockerfile = `FROM ${image}\nRUN echo fine-${run}\nRUN echo about to fail; echo on stderr >&2; exit 3\n`;
      const err = await assert.rejects(docker.images.build([{ name: "Dockerfile", data: dockerfile }], { builder: "buildkit", labels, forceRm: true }), DockerBuildError);
      assert.equal(err.exitCode, 3, err.message);
      assert.match(err.step?.name ?? "", /RUN echo about to fail; echo on stderr >&2; exit 3$/);
      assert.ok(err.stepOutput.includes("about to fail"), JSON.stringify(err.stepOutput));
      assert.ok(err.stepOutput.includes("on stderr"), JSON.stringify(err.stepOutput));
      assert.match(err.message, /exit code 3/);
      assert.ok(err.steps.some((s) => s.state === "failed"), "the model shows the failed step");
      assert.match(err.output, /about to fail/);
    },
  },
  {
    name: "BuildKit: aborting a running build rejects at once and frees the connection",
    timeout: 120_000,
    async run({ docker, assert, run, labels, image }) {
      const controller = new AbortController();
      const started = Date.now();
      const build = docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN echo started-${run}; sleep 60\n` }], {
        builder: "buildkit",
        labels,
        forceRm: true,
        signal: controller.signal,
        onEvent(event) {
          if (event.type === "log" && event.text.includes(`started-${run}`)) controller.abort();
        },
      });
      await assert.rejects(build, DockerAbortError);
      assert.ok(Date.now() - started < 50_000, "the abort did not wait for the step");
      assert.equal(await docker.ping(), "OK");
    },
  },
  {
    name: "builder auto follows the engine: BuildKit where /_ping says Builder-Version 2, classic elsewhere",
    timeout: 120_000,
    async run({ docker, assert, run, labels, image, fromEnv, env }) {
      const ping = await docker.client.send({ method: "GET", path: "/_ping", unversioned: true });
      const header = ping.headers.get("builder-version");
      await ping.text();
      const expected = (await docker.isPodman()) || header !== "2" ? "classic" : "buildkit";
      const stream = await docker.images.buildStream([{ name: "Dockerfile", data: `FROM ${image}\nRUN echo auto-${run}\n` }], { labels, forceRm: true });
      assert.equal(stream.builder, expected, `Builder-Version ${header}`);
      const result = await stream.done();
      assert.equal(result.builder, expected);
      assert.ok(result.steps.some((s) => /RUN echo auto-/.test(s.name) && (s.state === "done" || s.state === "cached")), JSON.stringify(result.steps.map((s) => s.name)));
      await docker.images.ref(result.id).remove({ force: true });

      // DOCKER_BUILDKIT=0|1 sets the default of a client made by fromEnv(), as it does for the CLI.
      for (const [flag, builder] of [["0", "classic"], ["1", (await docker.isPodman()) ? "classic" : "buildkit"]] as const) {
        const viaEnv = fromEnv({ DOCKER_HOST: env("DOCKER_HOST"), DOCKER_BUILDKIT: flag });
        try {
          const built = await viaEnv.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN echo env-${flag}-${run}\n` }], { labels, forceRm: true });
          assert.equal(built.builder, builder, `DOCKER_BUILDKIT=${flag}`);
          await docker.images.ref(built.id).remove({ force: true });
        } finally {
          await viaEnv.close();
        }
      }
    },
  },
];

/**
 * The classic builder drops what .dockerignore names after reading the Dockerfile, so a Dockerfile
 * from outside the context (sent under a generated name that berth adds to .dockerignore, as the
 * CLI does) never reaches the image. BuildKit through the engine API without a session applies no
 * .dockerignore to a tar context at all (verified on dockerd 20.10 and 23.0): berth filters
 * directory contexts itself, and the generated Dockerfile name stays visible to `COPY .` there.
 */
export const builderScenarios: Scenario[] = [
  {
    name: "classic builder: a Dockerfile from outside the context is read but never lands in the image",
    timeout: 120_000,
    async run({ docker, assert, run, labels, image, defer, tempDir }) {
      const context = await tempDir({ "keep.txt": "kept\n", ".dockerignore": "*.log" });
      const elsewhere = await tempDir({ "Dockerfile.custom": `FROM ${image}\nCOPY . /src/\n` });
      const tag = `berth-scenario-outside:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      await docker.images.build({ directory: context }, { builder: "classic", tag, labels, forceRm: true, dockerfile: `${elsewhere}/Dockerfile.custom` });
      const listing = await docker.containers.run(tag, ["sh", "-c", "cd /src && ls -A | sort"], { config: { Labels: labels } });
      assert.equal(listing.stdout, ".dockerignore\nkeep.txt\n");
    },
  },
];
