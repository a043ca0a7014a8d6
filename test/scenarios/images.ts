// Images: list, inspect, tag, history; a build from entries packed on the fly and from a directory;
// a push/pull round trip through a registry, and a handle got by its registry reference.

import { DockerBuildError } from "../../src/buildkit/build-stream.ts";
import { DockerNotFoundError } from "../../src/errors/errors.ts";
import { readTarEntries } from "../../src/streams/tar.ts";
import type { Scenario, ScenarioContext } from "./context.ts";

export const imageScenarios: Scenario[] = [
  {
    name: "images: list and inspect the test image; tag, history and untag; a name with a registry port and path",
    async run({ docker, assert, image, run }) {
      const podman = await docker.isPodman();
      const list = await docker.images.list({ filters: { reference: [image] } });
      assert.equal(list.length, 1);
      // Podman names the loaded test image localhost/NAME (and finds it by the short name).
      assert.includes(list[0]!.tags, podman ? `localhost/${image}` : image);
      const got = await docker.images.get(image);
      assert.match(got.id, /^sha256:/);
      assert.equal((await got.inspect()).Config?.Cmd, ["/bin/sh"]);

      const tag = `berth-test-tag:${run}`;
      await docker.images.ref(image).tag(tag);
      const tagged = await docker.images.get(tag);
      // Podman qualifies a short name it tags as a Docker Hub name.
      const listed = podman ? `docker.io/library/${tag}` : tag;
      assert.includes(tagged.tags, listed);
      const history = await tagged.history();
      assert.ok(history.length > 0, "history has entries");
      assert.ok(history.some((h) => (h.CreatedBy ?? "").includes("COPY")), "a COPY step in the history");
      const removed = await docker.images.ref(tag).remove();
      assert.ok(removed.some((r) => r.Untagged === listed), `${listed} untagged: ${JSON.stringify(removed)}`);
      await assert.rejects(docker.images.get(tag), DockerNotFoundError);

      const nested = `localhost:5000/berth/nested-${run}:v1`;
      await docker.images.ref(image).tag(nested);
      assert.includes((await docker.images.get(nested)).tags, nested);
      await docker.images.ref(nested).remove();
    },
  },
  {
    name: "build a small image from tar entries, run it, and see a failing step's error",
    timeout: 120_000,
    async run({ docker, assert, run, runtime, labels, image, defer }) {
      const tag = `berth-scenario-build:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      const built = await docker.images.build(
        [
          { name: "Dockerfile", data: `FROM ${image}\nCOPY greeting.txt /greeting.txt\nRUN echo built >> /greeting.txt\n` },
          { name: "greeting.txt", data: `hello from ${runtime}\n` },
        ],
        { tag, labels, rm: true, forceRm: true },
      );
      assert.match(built.id, /^(sha256:)?[0-9a-f]{12,64}$/, "image id");
      const inspected = await docker.images.get(tag);
      assert.ok(inspected.id === built.id || inspected.id.endsWith(built.id) || inspected.id.startsWith(`sha256:${built.id}`), `${inspected.id} is ${built.id}`);
      assert.equal((await inspected.inspect()).Config?.Labels?.["berth.test.run"], run);
      const result = await docker.containers.run(tag, ["cat", "/greeting.txt"], { config: { Labels: labels } });
      assert.equal(result.stdout, `hello from ${runtime}\nbuilt\n`);

      const failing = docker.images.build(
        [{ name: "Dockerfile", data: `FROM ${image}\nRUN echo about to fail && exit 3\n` }],
        { labels, rm: true, forceRm: true },
      );
      const err = await assert.rejects(failing, DockerBuildError);
      // Whichever builder the engine defaults to (classic on dockerd 20.10, BuildKit on 23+,
      // buildah on Podman), the error names the step, its exit code and what it printed.
      assert.equal(err.exitCode, 3, err.message);
      assert.match(err.step?.name ?? "", /RUN echo about to fail && exit 3$/);
      assert.ok(err.stepOutput.includes("about to fail"), JSON.stringify(err.stepOutput));
      assert.match(err.message, (await docker.isPodman()) ? /exit status 3/ : /returned a non-zero code: 3|exit code: 3/);
    },
  },
  {
    name: "build from a directory through the runtime's file access, honouring .dockerignore; build(\"./dir\") as docker-py's path=",
    timeout: 120_000,
    async run({ docker, assert, run, labels, image, defer, tempDir, cwd }) {
      const dir = await tempDir({
        "Dockerfile": `FROM ${image}\nCOPY . /ctx/\n`,
        ".dockerignore": "secret.txt\n**/*.log\n*.env\ncache\n",
        "keep.txt": "kept\n",
        "secret.txt": "must not be sent\n",
        "local.env": "TOKEN=x",
        "cache/big.bin": "x",
        "sub/inner.txt": "inner\n",
        "sub/debug.log": "ignored too\n",
      });
      const tag = `berth-scenario-dir:${run}`;
      const relative = `berth-scenario-dir-relative:${run}`;
      for (const t of [tag, relative]) defer(() => docker.images.ref(t).remove({ force: true }));
      await docker.images.build({ directory: dir }, { tag, labels, rm: true, forceRm: true });
      // A path relative to the working directory, as a user types it, names the same context.
      const built = await docker.images.build(relativePath(cwd, dir), { tag: relative, labels, rm: true, forceRm: true });
      assert.match(built.id, /^sha256:|^[0-9a-f]{12}/);
      for (const t of [tag, relative]) {
        const listing = await docker.containers.run(t, ["sh", "-c", "cd /ctx && find . -type f | sort && cat sub/inner.txt"], { config: { Labels: labels } });
        assert.equal(listing.stdout, "./.dockerignore\n./Dockerfile\n./keep.txt\n./sub/inner.txt\ninner\n", t);
      }
    },
  },
  {
    name: "push to the local registry, remove, and pull it back",
    timeout: 120_000,
    async run(ctx) {
      const { docker, assert, registry, run, image, defer } = ctx;
      await requireRegistry(ctx);
      const ref = `${registry}/berth-scenario-${run}:v1`;
      const source = await docker.images.get(image);
      await source.tag(ref);
      defer(() => docker.images.ref(ref).remove({ force: true }));
      const pushed = await docker.images.ref(ref).push();
      assert.match(pushed.digest ?? "", /^sha256:[0-9a-f]{64}$/, "pushed digest");

      await docker.images.ref(ref).remove();
      const pulled = await docker.images.pull(ref);
      const info = await pulled.inspect();
      assert.equal(info.Id, source.id, "the pulled image is the pushed one");
      assert.ok((info.RepoTags ?? []).includes(ref), `${ref} in ${info.RepoTags}`);
      assert.ok((info.RepoDigests ?? []).includes(`${registry}/berth-scenario-${run}@${pushed.digest}`), `digest in ${info.RepoDigests}`);
    },
  },
  {
    name: "a handle got by a registry reference pushes, tags and saves that reference, not the image id",
    timeout: 120_000,
    async run({ docker, assert, registry, run, image, labels, defer }) {
      // The open test registry (scripts/registry.sh); this pushes one manifest and deletes it.
      const up = await fetch(`http://${registry}/v2/`).then(async (r) => (await r.body?.cancel(), r.ok), () => false);
      assert.ok(up, `the registry on ${registry} (scripts/registry.sh)`);
      const repo = `berth-test/ref-${run}`;
      const ref = `${registry}/${repo}:1`;
      const other = `${registry}/${repo}:2`;
      for (const name of [other, ref]) defer(() => docker.images.ref(name).remove({ force: true }));
      await docker.images.build([{ name: "Dockerfile", data: `FROM ${image}\nLABEL berth.test=1 berth.test.run=${run}\n` }], { tag: ref, labels });
      const got = await docker.images.get(ref);
      assert.match(got.id, /^sha256:/);
      assert.equal(got.reference, ref);

      const pushed = await got.push();
      const digest = pushed.digest;
      assert.match(digest ?? "", /^sha256:[0-9a-f]{64}$/);
      defer(() => fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: "DELETE" }).then((r) => r.body?.cancel()));
      const tags = (await (await fetch(`http://${registry}/v2/${repo}/tags/list`)).json()) as { tags: string[] };
      assert.equal(tags.tags, ["1"]);
      // The bug this guards: push parsed the image id as name:tag and pushed a repository "sha256".
      const sha = await fetch(`http://${registry}/v2/sha256/tags/list`);
      await sha.body?.cancel();
      assert.equal(sha.status, 404);

      await got.tag(other);
      assert.equal((await docker.images.get(other)).id, got.id);

      const manifest = (await readTarEntries(await got.save())).find((e) => e.name === "manifest.json");
      assert.ok(manifest, "manifest.json in the saved archive");
      const saved = JSON.parse(new TextDecoder().decode(manifest!.data)) as Array<{ RepoTags: string[] | null }>;
      assert.equal(saved[0]!.RepoTags, [ref]);
    },
  },
];

/** `to` (absolute) as a path relative to `from` (absolute), "." when they are the same. */
function relativePath(from: string, to: string): string {
  const a = from.split("/").filter(Boolean);
  const b = to.split("/").filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/") || ".";
}

/** The registry's /v2/ answers; otherwise the scenario is skipped (failed under CI). */
export async function requireRegistry(ctx: ScenarioContext, registry: string = ctx.registry): Promise<void> {
  let status = 0;
  let problem = "";
  try {
    const response = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(3000) });
    status = response.status;
    await response.body?.cancel();
  } catch (err) {
    problem = String((err as Error)?.message ?? err);
  }
  if (status !== 200 && status !== 401) {
    ctx.skip(`no registry at ${registry} (${problem || `HTTP ${status}`}): start one with scripts/registry.sh or set BERTH_TEST_REGISTRY`);
  }
}
