import { describe, expect, it } from "vitest";
import { DockerNotFoundError } from "berth-docker";
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
});
