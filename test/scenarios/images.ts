// Images: a build from entries packed on the fly, and a push/pull round trip through a registry.

import { DockerBuildError } from "../../src/buildkit/build-stream.ts";
import type { Scenario, ScenarioContext } from "./context.ts";

export const imageScenarios: Scenario[] = [
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
    name: "build from a directory through the runtime's file access, honouring .dockerignore",
    timeout: 120_000,
    async run({ docker, assert, run, labels, image, defer, tempDir }) {
      const dir = await tempDir({
        "Dockerfile": `FROM ${image}\nCOPY . /ctx/\n`,
        ".dockerignore": "secret.txt\n**/*.log\n",
        "keep.txt": "kept\n",
        "secret.txt": "must not be sent\n",
        "sub/inner.txt": "inner\n",
        "sub/debug.log": "ignored too\n",
      });
      const tag = `berth-scenario-dir:${run}`;
      defer(() => docker.images.ref(tag).remove({ force: true }));
      await docker.images.build({ directory: dir }, { tag, labels, rm: true, forceRm: true });
      const listing = await docker.containers.run(tag, ["sh", "-c", "cd /ctx && find . -type f | sort && cat sub/inner.txt"], { config: { Labels: labels } });
      assert.equal(listing.stdout, "./.dockerignore\n./Dockerfile\n./keep.txt\n./sub/inner.txt\ninner\n");
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
];

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
