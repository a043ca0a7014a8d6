// Builds and the images made without a build: build arguments, target, extra hosts, a failing
// step's container (kept or not), a directory context with a Dockerfile outside it; commit, save,
// load and import.

import { readTarEntries } from "../../src/streams/tar.ts";
import { DockerStreamError } from "../../src/errors/errors.ts";
import type { Docker } from "../../src/docker.ts";
import type { Scenario, ScenarioContext } from "./context.ts";

/** A tag of this run, removed after the suite. */
function tagFor({ docker, run, defer }: ScenarioContext, name: string): string {
  const tag = `berth-test-build-${name}:${run}`;
  defer(() => docker.images.ref(tag).remove({ force: true }));
  return tag;
}

// The classic builder (asked for by name: an engine may default to BuildKit, which makes no step
// containers) keeps a failed step's container unless forcerm. It carries none of the
// build's labels: only its command, which holds a marker, finds it.
const failedStepContainers = async (docker: Docker, marker: string) =>
  (await docker.containers.list({ all: true })).filter((c) => ((c.attrs as { Command?: string } | undefined)?.Command ?? "").includes(marker));

export const buildScenarios: Scenario[] = [
  {
    name: "build from entries with build args, labels, target and extra hosts",
    timeout: 120_000,
    async run(ctx) {
      const { docker, assert, labels, image } = ctx;
      const t = tagFor(ctx, "entries");
      const events: string[] = [];
      const result = await docker.images.build(
        [{ name: "Dockerfile", data: `FROM ${image} AS base\nARG GREETING\nRUN echo "$GREETING" > /greeting && cat /etc/hosts > /hosts\nFROM base AS final\nRUN echo final > /final\n` }],
        {
          builder: "classic", // its "Step 1/2" lines; on an engine whose default is BuildKit too (buildkit.ts has BuildKit's)
          tag: t,
          buildArgs: { GREETING: "hello build" },
          labels: { ...labels, "berth.kind": "build" },
          target: "base",
          extraHosts: ["berth-host:10.1.2.3"],
          rm: true,
          onProgress: (_, e) => {
            if (e.stream) events.push(e.stream);
          },
        },
      );
      assert.match(result.id, /^sha256:[0-9a-f]{64}$|^[0-9a-f]{12,64}$/);
      // dockerd's classic builder writes "Step 1/2 : FROM", Podman's buildah "STEP 1/2: FROM".
      assert.match(events.join(""), (await docker.isPodman()) ? /STEP 1\// : /Step 1\//);
      const built = await docker.images.get(t);
      assert.equal((built.attrs as { Config?: { Labels?: Record<string, string> } } | undefined)?.Config?.Labels?.["berth.kind"], "build");
      const out = await docker.containers.run(t, ["sh", "-c", "cat /greeting; grep berth-host /hosts; test ! -e /final && echo no-final"], { config: { Labels: labels } });
      assert.includes(out.stdout, "hello build");
      assert.includes(out.stdout, "10.1.2.3");
      assert.includes(out.stdout, "no-final");
    },
  },
  {
    name: "a failing build step rejects with the daemon's message and, by default, leaves no container behind",
    timeout: 120_000,
    async run({ docker, assert, labels, image, run }) {
      const marker = `berth-failed-step-${run}`;
      const err = await assert.rejects(docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN exit 1 # ${marker}\n` }], { builder: "classic", labels }), DockerStreamError);
      assert.match(err.message, (await docker.isPodman()) ? /exit status 1/ : /returned a non-zero code: 1/);
      assert.equal(await failedStepContainers(docker, marker), []);
    },
  },
  {
    name: "build with forceRm: false keeps the failed step's container, as the engine and the Docker CLI do",
    timeout: 120_000,
    async run({ docker, assert, labels, image, run }) {
      const marker = `berth-kept-step-${run}`;
      await assert.rejects(docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nRUN exit 1 # ${marker}\n` }], { builder: "classic", labels, forceRm: false }), DockerStreamError);
      const kept = await failedStepContainers(docker, marker);
      for (const c of kept) await c.remove({ force: true });
      // Podman's buildah keeps its working container either way, outside the Docker API's list.
      assert.equal(kept.length, (await docker.isPodman()) ? 0 : 1, "failed step containers kept");
    },
  },
  {
    name: "build from a directory honouring .dockerignore's comments and exceptions, with a Dockerfile outside the context",
    timeout: 120_000,
    async run(ctx) {
      const { docker, assert, labels, image, tempDir } = ctx;
      const dir = await tempDir({
        "keep/a.txt": "kept\n",
        "secret/key": "do not send\n",
        "notes.md": "x",
        "README.md": "readme",
        ".dockerignore": "# comment\nsecret\n*.md\n!README.md\nDockerfile\n",
        "Dockerfile": `FROM ${image}\nCOPY . /ctx/\n`,
      });
      const t = tagFor(ctx, "dir");
      await docker.images.build({ directory: dir }, { tag: t, labels });
      const listing = await docker.containers.run(t, ["sh", "-c", "cd /ctx && find . -type f | sort"], { config: { Labels: labels } });
      // The Dockerfile was sent (the build read it) but, being ignored, the engine drops it from
      // the context afterwards, exactly as with the Docker CLI.
      assert.equal(listing.stdout.trim().split("\n"), ["./.dockerignore", "./README.md", "./keep/a.txt"]);

      const outsideDir = await tempDir({ "Dockerfile.custom": `FROM ${image}\nCOPY keep/a.txt /a.txt\nCMD ["cat", "/a.txt"]\n` });
      const t2 = tagFor(ctx, "outside");
      await docker.images.build({ directory: dir }, { tag: t2, dockerfile: `${outsideDir}/Dockerfile.custom`, labels });
      assert.equal((await docker.containers.run(t2, undefined, { config: { Labels: labels } })).stdout, "kept\n");
    },
  },
  {
    name: "commit with changes, save and load, export and import",
    timeout: 120_000,
    async run(ctx) {
      const { docker, assert, labels, image } = ctx;
      const c = await docker.containers.create({ Image: image, Cmd: ["sh", "-c", "echo data > /file"], Labels: labels });
      await c.start();
      await c.wait();
      const t = tagFor(ctx, "commit");
      const [repo, tg] = t.split(":");
      const { Id } = await c.commit({ repo, tag: tg, changes: ["ENV COMMITTED=yes", 'CMD ["cat", "/file"]'] });
      const info = await docker.images.ref(Id!).inspect();
      assert.includes(info.Config?.Env, "COMMITTED=yes");
      assert.equal((await docker.containers.run(t, undefined, { config: { Labels: labels } })).stdout, "data\n");

      const saved = await docker.images.ref(t).save();
      const chunks: Uint8Array[] = [];
      for await (const chunk of saved as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
      const tarball = new Uint8Array(chunks.reduce((n, ch) => n + ch.length, 0));
      let off = 0;
      for (const ch of chunks) {
        tarball.set(ch, off);
        off += ch.length;
      }
      const names = (await readTarEntries(new Blob([tarball]).stream())).map((e) => e.name);
      assert.includes(names, "manifest.json");
      await docker.images.ref(t).remove({ force: true });
      const loaded = await docker.images.load(tarball);
      // (Podman names it docker.io/library/NAME:TAG: docs/podman.md)
      assert.equal(loaded.images.map((i) => (i.reference ?? "").replace(/^docker\.io\/library\//, "")), [t]);
      assert.equal(loaded.images[0]!.id, info.Id);
      assert.ok(loaded.events.some((e) => (e.stream ?? "").includes(t)), `${t} in the load's events`);

      const exported = await c.export();
      const imported = tagFor(ctx, "import");
      const [irepo, itag] = imported.split(":");
      await docker.images.import(exported, { repo: irepo, tag: itag, changes: ['CMD ["cat", "/file"]'] });
      assert.equal((await docker.containers.run(imported, undefined, { config: { Labels: labels } })).stdout, "data\n");
    },
  },
];
