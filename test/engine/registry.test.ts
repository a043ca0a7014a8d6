// Push and pull through the images API against real local registries (scripts/registry.sh):
// 127.0.0.1:5000 without authentication, 127.0.0.1:5001 with htpasswd basic auth.
import { describe, expect, it } from "vitest";
import { type CredentialSource, DockerStreamError, DockerUnauthorizedError, type Progress } from "berth-docker";
import { IMAGE, useEngine } from "./helpers.ts";

const OPEN = "127.0.0.1:5000";
const AUTH = "127.0.0.1:5001";
const good = { username: "berth", password: "berth-registry-secret", serveraddress: AUTH };

describe("registry round trips through the images API", () => {
  const { docker, run, labels } = useEngine();
  // No credentials from the machine's config: only what each test passes explicitly.
  docker.client.credentials = { forImage: async () => undefined } satisfies CredentialSource;

  /** An image with a layer of its own (so a pull after removal really downloads something). */
  async function uniqueImage(ref: string): Promise<void> {
    const noise = Array.from({ length: 4096 }, () => Math.random().toString(36)).join("");
    await docker.images.build([{ name: "Dockerfile", data: `FROM ${IMAGE}\nCOPY noise /noise\n` }, { name: "noise", data: noise }], { tag: ref, labels });
  }

  it("without auth: push, remove locally, pull back by tag and by digest, with progress", async () => {
    const ref = `${OPEN}/berth-test/open-${run}:v1`;
    await uniqueImage(ref);
    const pushed = await docker.images.ref(ref).push();
    expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pushed.events.some((e) => e.status === "Pushed")).toBe(true);

    await docker.images.ref(ref).remove();
    const seen: Progress[] = [];
    const image = await docker.images.pull(ref, { onProgress: (p) => seen.push(p) });
    expect(image.tags).toContain(ref);
    const last = seen.at(-1)!;
    expect(last.layers.length).toBeGreaterThan(0);
    expect(last.layersDone).toBe(last.layers.length);
    expect(last.layers.some((l) => l.status === "Already exists")).toBe(true); // the busybox layer
    expect(last.total).toBeGreaterThan(0); // the new layer's bytes
    expect(last.current).toBe(last.total);

    const byDigest = `${OPEN}/berth-test/open-${run}@${pushed.digest}`;
    await docker.images.ref(ref).remove();
    const pulled = await docker.images.pull(byDigest);
    expect((pulled.attrs as { RepoDigests?: string[] }).RepoDigests).toContain(byDigest);
    const out = await docker.containers.run(byDigest, ["echo", "from digest"], { config: { Labels: labels } });
    expect(out.stdout).toBe("from digest\n");
    await docker.images.ref(byDigest).remove({ force: true });
  });

  it("pull streams per-layer events that a progress bar can render", async () => {
    const ref = `${OPEN}/berth-test/stream-${run}:v1`;
    await uniqueImage(ref);
    await docker.images.ref(ref).push();
    await docker.images.ref(ref).remove();
    const stream = await docker.images.pullStream(ref);
    const statuses: string[] = [];
    for await (const event of stream) statuses.push(event.status ?? "");
    expect(statuses.some((s) => s.startsWith("Pull complete"))).toBe(true);
    expect(statuses.at(-1)).toMatch(/Status: Downloaded newer image/);
    expect(stream.progress.layersDone).toBeGreaterThan(0);
    await docker.images.ref(ref).remove();
  });

  it("with htpasswd auth: push and pull with credentials", async () => {
    const ref = `${AUTH}/berth-test/auth-${run}:v1`;
    await docker.images.ref(IMAGE).tag(ref);
    const pushed = await docker.images.ref(ref).push({ auth: good });
    expect(pushed.digest).toMatch(/^sha256:/);
    await docker.images.ref(ref).remove();
    await docker.images.pull(ref, { auth: good });
    await docker.images.ref(ref).remove();
    // and by digest
    await docker.images.pull(`${AUTH}/berth-test/auth-${run}@${pushed.digest}`, { auth: good });
    await docker.images.ref(`${AUTH}/berth-test/auth-${run}@${pushed.digest}`).remove({ force: true });
  });

  it("a wrong password is a typed unauthorised error, for pull and for push", async () => {
    const wrong = { ...good, password: "wrong-password" };
    const err = await docker.images.pull(`${AUTH}/berth-test/auth-${run}:v1`, { auth: wrong }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerUnauthorizedError);
    expect(err.isUnauthorized).toBe(true);
    expect(err.message).not.toContain("wrong-password");

    const ref = `${AUTH}/berth-test/denied-${run}:v1`;
    await docker.images.ref(IMAGE).tag(ref);
    const pushErr = await docker.images.ref(ref).push({ auth: wrong }).catch((e) => e);
    expect(pushErr).toBeInstanceOf(DockerStreamError);
    expect(pushErr.isUnauthorized).toBe(true);
    await docker.images.ref(ref).remove();
  });

  it("docker.auth checks credentials", async () => {
    expect((await docker.auth(good)).Status).toMatch(/Login Succeeded/);
    const err = await docker.auth({ ...good, password: "nope" }).catch((e) => e);
    expect(err).toBeInstanceOf(DockerUnauthorizedError);
  });
});
