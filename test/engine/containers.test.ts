import { describe, expect, it } from "vitest";
import { DockerConflictError, DockerNotFoundError, DockerUnsupportedError, isNotFound } from "berth-docker";
import { IMAGE, useEngine } from "./helpers.ts";

describe("containers", () => {
  const { docker, labels, container, uniqueName } = useEngine();

  it("runs the quick-start lifecycle: create, start, wait, remove", async () => {
    const c = await docker.containers.create({ Image: IMAGE, Cmd: ["sh", "-c", "exit 7"], Labels: labels });
    expect(c.id).toMatch(/^[0-9a-f]{64}$/);
    await c.start();
    const { StatusCode } = await c.wait();
    expect(StatusCode).toBe(7);
    await c.remove();
    await expect(c.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
  });

  it("lists with one request and filters by label", async () => {
    const a = await container({ Cmd: ["sleep", "30"] });
    const b = await container({ Cmd: ["sleep", "30"] });
    const list = await docker.containers.list({ all: true, filters: { label: [`berth.test.run=${labels["berth.test.run"]}`], id: [a.id, b.id] } });
    expect(list.map((c) => c.id).sort()).toEqual([a.id, b.id].sort());
    // Podman lists the image by its full name (the test image is loaded as localhost/NAME).
    expect(list[0]!.attrs?.Image).toBe((await docker.isPodman()) ? `localhost/${IMAGE}` : IMAGE);
    const running = await docker.containers.list({ filters: { id: [a.id] } });
    expect(running).toEqual([]);
  });

  it("gets by name and by id, reloads state", async () => {
    const name = uniqueName();
    const c = await container({ Cmd: ["sleep", "30"] }, name);
    const byName = await docker.containers.get(name);
    expect(byName.id).toBe(c.id);
    expect((await docker.containers.get(`/${name}`)).id).toBe(c.id); // as listed in Names
    expect(byName.name).toBe(name);
    await c.start();
    await c.reload();
    expect((c.attrs as { State?: { Running?: boolean } }).State?.Running).toBe(true);
    await c.remove({ force: true });
  });

  it("stop, restart, kill, pause, unpause change the state", async () => {
    const c = await container({ Cmd: ["sleep", "300"], StopSignal: "SIGKILL" });
    await c.start();
    await c.start(); // already started: 304, not an error
    await c.pause();
    expect((await c.inspect()).State?.Status).toBe("paused");
    await c.unpause();
    expect((await c.inspect()).State?.Status).toBe("running");
    await c.stop({ t: 1 });
    expect((await c.inspect()).State?.Status).toBe("exited");
    await c.restart({ t: 1 });
    expect((await c.inspect()).State?.Running).toBe(true);
    await c.kill("SIGKILL");
    await c.wait();
    expect((await c.inspect()).State?.Running).toBe(false);
  });

  it("renames, updates, tops and diffs", async () => {
    const c = await container({ Cmd: ["sh", "-c", "touch /created-file; sleep 300"] });
    await c.start();
    const newName = uniqueName("renamed");
    await c.rename(newName);
    expect((await c.inspect()).Name).toBe(`/${newName}`);
    if (await docker.isPodman()) {
      // Podman 4 has no /containers/{id}/update.
      await expect(c.update({ Memory: 64 * 1024 * 1024, MemorySwap: -1 })).rejects.toBeInstanceOf(DockerUnsupportedError);
    } else {
      const updated = await c.update({ Memory: 64 * 1024 * 1024, MemorySwap: -1 });
      expect(updated).toBeDefined();
      expect((await c.inspect()).HostConfig?.Memory).toBe(64 * 1024 * 1024);
    }
    const top = await c.top();
    expect(top.Titles).toContain("PID");
    expect(top.Processes!.some((p) => p.join(" ").includes("sleep"))).toBe(true);
    // the shell may not have touched the file yet
    for (let i = 0; i < 50; i++) {
      const changes = await c.changes();
      if (changes.some((ch) => ch.Path === "/created-file")) break;
      if (i === 49) throw new Error("the created file never showed in changes()");
      await new Promise((r) => setTimeout(r, 100));
    }
    await c.remove({ force: true });
  });

  it("wait with condition next-exit", async () => {
    const c = await container({ Cmd: ["sh", "-c", "sleep 0.3; exit 4"] });
    const waiting = c.wait({ condition: "next-exit" });
    await c.start();
    expect((await waiting).StatusCode).toBe(4);
  });

  it("404 on a missing container carries the daemon's message", async () => {
    const err = await docker.containers.get("berth-no-such-container").catch((e) => e);
    expect(err).toBeInstanceOf(DockerNotFoundError);
    expect(err.status).toBe(404);
    expect(err.isNotFound).toBe(true);
    expect(isNotFound(err)).toBe(true);
    // dockerd: "No such container: NAME"; Podman: "no container with name or ID ... found: no such container".
    expect(err.reason).toMatch(/no such container/i);
    expect(err.method).toBe("GET");
    expect(err.path).toBe("/containers/berth-no-such-container/json");
  });

  it("409 on removing a running container", async () => {
    const c = await container({ Cmd: ["sleep", "300"] });
    await c.start();
    const err = await c.remove().catch((e) => e);
    expect(err).toBeInstanceOf(DockerConflictError);
    expect(err.status).toBe(409);
    expect(err.isConflict).toBe(true);
    await c.remove({ force: true });
  });

  it("a name with a space is rejected by the engine, not misrouted", async () => {
    const err = await container({ Cmd: ["true"] }, "a b").catch((e) => e);
    // Podman answers 500 with cause "invalid argument", which berth reports as dockerd's 400.
    expect(err.status).toBe(400);
    expect(err.reason).toMatch((await docker.isPodman()) ? /names must match/ : /Invalid container name/);
    const missing = await docker.containers.get("a b").catch((e) => e);
    expect(missing).toBeInstanceOf(DockerNotFoundError);
  });

  it("a path-like name never reaches another endpoint", async () => {
    for (const name of ["x/../../images/json", "..", ".", "../images/json", "a?b=1", "a#b", "%2e%2e"]) {
      const err = await docker.containers.get(name).catch((e) => e);
      expect(err, name).toBeInstanceOf(DockerNotFoundError);
    }
  });

  it("prunes only what matches its filters", async () => {
    const c = await container({ Cmd: ["true"] });
    await c.start();
    await c.wait();
    const pruned = await docker.containers.prune({ filters: { label: [`berth.test.run=${labels["berth.test.run"]}`] } });
    expect(pruned.ContainersDeleted).toContain(c.id);
  });
});
