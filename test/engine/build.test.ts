import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ContainerExitError, DockerStreamError, readTarEntries } from "berth-docker";
import { IMAGE, useEngine } from "./helpers.ts";

describe("build", () => {
  const { docker, run, labels } = useEngine();
  const tags: string[] = [];
  const tag = (name: string) => {
    const t = `berth-test-build-${name}:${run}`;
    tags.push(t);
    return t;
  };

  it("builds from entries with build args, labels, target and extra hosts", async () => {
    const t = tag("entries");
    const events: string[] = [];
    const result = await docker.images.build(
      [
        { name: "Dockerfile", data: `FROM ${IMAGE} AS base\nARG GREETING\nRUN echo "$GREETING" > /greeting && cat /etc/hosts > /hosts\nFROM base AS final\nRUN echo final > /final\n` },
      ],
      {
        tag: t,
        buildArgs: { GREETING: "hello build" },
        labels: { ...labels, "berth.kind": "build" },
        target: "base",
        extraHosts: ["berth-host:10.1.2.3"],
        rm: true,
        onProgress: (_, e) => { if (e.stream) events.push(e.stream); },
      },
    );
    expect(result.id).toMatch(/^sha256:[0-9a-f]{64}$|^[0-9a-f]{12,64}$/);
    // dockerd's classic builder writes "Step 1/2 : FROM", Podman's buildah "STEP 1/2: FROM".
    expect(events.join("")).toMatch((await docker.isPodman()) ? /STEP 1\// : /Step 1\//);
    const image = await docker.images.get(t);
    expect(image.attrs && (image.attrs as { Config?: { Labels?: Record<string, string> } }).Config?.Labels?.["berth.kind"]).toBe("build");
    const out = await docker.containers.run(t, ["sh", "-c", "cat /greeting; grep berth-host /hosts; test ! -e /final && echo no-final"], { config: { Labels: labels } });
    expect(out.stdout).toContain("hello build");
    expect(out.stdout).toContain("10.1.2.3");
    expect(out.stdout).toContain("no-final");
  });

  // The classic builder keeps a failed step's container unless forcerm. It carries none of the
  // build's labels: only its command, which holds a marker, finds it.
  const failedStepContainers = async (marker: string) =>
    (await docker.containers.list({ all: true })).filter((c) => ((c.attrs as { Command?: string } | undefined)?.Command ?? "").includes(marker));

  it("a failing step rejects with the daemon's message and, by default, leaves no container behind", async () => {
    const marker = `berth-failed-step-${run}`;
    const err = await docker.images.build([{ name: "Dockerfile", data: `FROM ${IMAGE}\nRUN exit 1 # ${marker}\n` }], { labels }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err.message).toMatch((await docker.isPodman()) ? /exit status 1/ : /returned a non-zero code: 1/);
    expect(await failedStepContainers(marker)).toEqual([]);
  });

  it("forceRm: false keeps the failed step's container, as the engine and the Docker CLI do", async () => {
    const marker = `berth-kept-step-${run}`;
    const err = await docker.images.build([{ name: "Dockerfile", data: `FROM ${IMAGE}\nRUN exit 1 # ${marker}\n` }], { labels, forceRm: false }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    const kept = await failedStepContainers(marker);
    for (const c of kept) await c.remove({ force: true });
    // Podman's buildah keeps its working container either way, outside the Docker API's list.
    expect(kept).toHaveLength((await docker.isPodman()) ? 0 : 1);
  });

  it("builds from a directory honouring .dockerignore, with a Dockerfile outside the context", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-ctx-"));
    mkdirSync(join(dir, "keep"));
    mkdirSync(join(dir, "secret"));
    writeFileSync(join(dir, "keep", "a.txt"), "kept\n");
    writeFileSync(join(dir, "secret", "key"), "do not send\n");
    writeFileSync(join(dir, "notes.md"), "x");
    writeFileSync(join(dir, "README.md"), "readme");
    writeFileSync(join(dir, ".dockerignore"), "# comment\nsecret\n*.md\n!README.md\nDockerfile\n");
    writeFileSync(join(dir, "Dockerfile"), `FROM ${IMAGE}\nCOPY . /ctx/\n`);
    const t = tag("dir");
    await docker.images.build({ directory: dir }, { tag: t, labels });
    const listing = await docker.containers.run(t, ["sh", "-c", "cd /ctx && find . -type f | sort"], { config: { Labels: labels } });
    // The Dockerfile was sent (the build read it) but, being ignored, the engine drops it from
    // the context afterwards, exactly as with the Docker CLI.
    expect(listing.stdout.trim().split("\n")).toEqual(["./.dockerignore", "./README.md", "./keep/a.txt"]);

    const outsideDir = mkdtempSync(join(tmpdir(), "berth-df-"));
    writeFileSync(join(outsideDir, "Dockerfile.custom"), `FROM ${IMAGE}\nCOPY keep/a.txt /a.txt\nCMD ["cat", "/a.txt"]\n`);
    const t2 = tag("outside");
    await docker.images.build({ directory: dir }, { tag: t2, dockerfile: join(outsideDir, "Dockerfile.custom"), labels });
    expect((await docker.containers.run(t2, undefined, { config: { Labels: labels } })).stdout).toBe("kept\n");
  });

  it("commit with changes, save and load, import", async () => {
    const c = await docker.containers.create({ Image: IMAGE, Cmd: ["sh", "-c", "echo data > /file"], Labels: labels });
    await c.start();
    await c.wait();
    const t = tag("commit");
    const [repo, tg] = t.split(":");
    const { Id } = await c.commit({ repo, tag: tg, changes: ["ENV COMMITTED=yes", 'CMD ["cat", "/file"]'] });
    const info = await docker.images.ref(Id).inspect();
    expect(info.Config?.Env).toContain("COMMITTED=yes");
    expect((await docker.containers.run(t, undefined, { config: { Labels: labels } })).stdout).toBe("data\n");

    const saved = await docker.images.ref(t).save();
    const chunks: Uint8Array[] = [];
    for await (const chunk of saved as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    const tarball = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const ch of chunks) { tarball.set(ch, off); off += ch.length; }
    const names = (await readTarEntries(new Blob([tarball]).stream())).map((e) => e.name);
    expect(names).toContain("manifest.json");
    await docker.images.ref(t).remove({ force: true });
    const loaded = await docker.images.load(tarball);
    // (Podman names it docker.io/library/NAME:TAG: docs/podman.md)
    expect(loaded.images.map((i) => (i.reference ?? "").replace(/^docker\.io\/library\//, ""))).toEqual([t]);
    expect(loaded.images[0]!.id).toBe(info.Id);
    expect(loaded.events.some((e) => (e.stream ?? "").includes(t))).toBe(true);

    const exported = await c.export();
    const imported = tag("import");
    const [irepo, itag] = imported.split(":");
    await docker.images.import(exported, { repo: irepo, tag: itag, changes: ['CMD ["cat", "/file"]'] });
    expect((await docker.containers.run(imported, undefined, { config: { Labels: labels } })).stdout).toBe("data\n");
  });

  it("run rejects a non-zero exit with its code and stderr, and detach returns the container", async () => {
    const err = await docker.containers.run(IMAGE, "echo bad >&2; exit 5", { config: { Labels: labels } }).catch((e) => e);
    expect(err).toBeInstanceOf(ContainerExitError);
    expect(err.exitCode).toBe(5);
    expect(err.stderr).toBe("bad\n");
    const { container } = await docker.containers.run(IMAGE, ["sleep", "30"], { detach: true, config: { Labels: labels } });
    expect((await container.inspect()).State?.Running).toBe(true);
    await container.remove({ force: true });
  });

  it.sequential("cleanup", async () => {
    for (const t of tags) await docker.images.ref(t).remove({ force: true }).catch(() => {});
  });
});
