import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { DockerNotFoundError, readTarEntries } from "berth-docker";
import { IMAGE, useEngine } from "./helpers.ts";

describe("images", () => {
  const { docker, run } = useEngine();

  it("lists and inspects the test image", async () => {
    const list = await docker.images.list({ filters: { reference: [IMAGE] } });
    expect(list).toHaveLength(1);
    // Podman names the loaded test image localhost/NAME (and finds it by the short name).
    expect(list[0]!.tags).toContain((await docker.isPodman()) ? `localhost/${IMAGE}` : IMAGE);
    const image = await docker.images.get(IMAGE);
    expect(image.id).toMatch(/^sha256:/);
    expect((await image.inspect()).Config?.Cmd).toEqual(["/bin/sh"]);
  });

  it("tags, shows history, and removes a tag", async () => {
    const tag = `berth-test-tag:${run}`;
    await docker.images.ref(IMAGE).tag(tag);
    const tagged = await docker.images.get(tag);
    // Podman qualifies a short name it tags as a Docker Hub name.
    const listed = (await docker.isPodman()) ? `docker.io/library/${tag}` : tag;
    expect(tagged.tags).toContain(listed);
    const history = await tagged.history();
    expect(history.length).toBeGreaterThan(0);
    expect(history.some((h) => (h.CreatedBy ?? "").includes("COPY"))).toBe(true);
    const removed = await docker.images.ref(tag).remove();
    expect(removed.some((r) => r.Untagged === listed)).toBe(true);
    await expect(docker.images.get(tag)).rejects.toBeInstanceOf(DockerNotFoundError);
  });

  it("a name with a registry port and path is encoded, not split", async () => {
    const tag = `localhost:5000/berth/nested-${run}:v1`;
    await docker.images.ref(IMAGE).tag(tag);
    expect((await docker.images.get(tag)).tags).toContain(tag);
    await docker.images.ref(tag).remove();
  });

  it("a handle got by a registry reference pushes, tags and saves that reference, not the image id", async () => {
    // The open test registry (scripts/registry.sh); this test pushes one manifest and deletes it.
    const registry = "127.0.0.1:5000";
    const up = await fetch(`http://${registry}/v2/`).then((r) => r.ok, () => false);
    expect(up, `the registry on ${registry} (scripts/registry.sh)`).toBe(true);
    const repo = `berth-test/ref-${run}`;
    const ref = `${registry}/${repo}:1`;
    const other = `${registry}/${repo}:2`;
    await docker.images.build([{ name: "Dockerfile", data: `FROM ${IMAGE}\nLABEL berth.test=1 berth.test.run=${run}\n` }], { tag: ref, labels: { "berth.test": "1", "berth.test.run": run } });
    let digest: string | undefined;
    try {
      const image = await docker.images.get(ref);
      expect(image.id).toMatch(/^sha256:/);
      expect(image.reference).toBe(ref);

      const pushed = await image.push();
      digest = pushed.digest;
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const tags = (await (await fetch(`http://${registry}/v2/${repo}/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags).toEqual(["1"]);
      // The bug this guards: push parsed the image id as name:tag and pushed a repository "sha256".
      expect((await fetch(`http://${registry}/v2/sha256/tags/list`)).status).toBe(404);

      await image.tag(other);
      expect((await docker.images.get(other)).id).toBe(image.id);

      const manifest = (await readTarEntries(await image.save())).find((e) => e.name === "manifest.json")!;
      const saved = JSON.parse(new TextDecoder().decode(manifest.data)) as Array<{ RepoTags: string[] | null }>;
      expect(saved[0]!.RepoTags).toEqual([ref]);
    } finally {
      if (digest) await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: "DELETE" });
      for (const name of [other, ref]) await docker.images.ref(name).remove({ force: true }).catch(() => {});
    }
  });

  it("build(\"./dir\") builds that directory, as docker-py's path=, honouring .dockerignore", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-build-dir-"));
    const tag = `berth-test-dir:${run}`;
    try {
      writeFileSync(join(dir, "Dockerfile"), `FROM ${IMAGE}\nCOPY . /ctx/\nCMD ["ls", "-a", "/ctx"]\n`);
      writeFileSync(join(dir, "app.txt"), "app");
      writeFileSync(join(dir, "local.env"), "TOKEN=x");
      mkdirSync(join(dir, "cache"));
      writeFileSync(join(dir, "cache", "big.bin"), "x");
      writeFileSync(join(dir, ".dockerignore"), "*.env\ncache\n");
      // A relative path, as a user types it.
      const built = await docker.images.build(relative(process.cwd(), dir) || ".", { tag, labels: { "berth.test": "1", "berth.test.run": run } });
      expect(built.id).toMatch(/^sha256:|^[0-9a-f]{12}/);
      const out = await docker.containers.run(tag, undefined, { config: { Labels: { "berth.test": "1", "berth.test.run": run } } });
      expect(out.stdout.split("\n").filter((n) => n && n !== "." && n !== "..").sort()).toEqual([".dockerignore", "Dockerfile", "app.txt"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await docker.images.ref(tag).remove({ force: true }).catch(() => {});
    }
  });
});
