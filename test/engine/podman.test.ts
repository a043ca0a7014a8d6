// The engine's identity and the places where Podman answers differently from dockerd, checked on
// whichever engine DOCKER_HOST names: under dockerd they hold as dockerd's own behaviour, under
// Podman (scripts/test-podman.sh) as berth's handling of Podman's (docs/podman.md).
import { describe, expect, it } from "vitest";
import { Docker, DockerConflictError, DockerUnsupportedError, type Container } from "berth-docker";
import { useEngine } from "./helpers.ts";

describe("engine identity and Podman's differences", () => {
  const { docker, labels, run, container, uniqueName } = useEngine();
  const mine = `berth.test.run=${run}`;

  it("engine() agrees with /version, with and without a negotiated version", async () => {
    const version = await docker.version();
    const named = version.Components?.some((c) => /podman/i.test(c.Name ?? "")) ? "podman" : "docker";
    expect(await docker.engine()).toBe(named);
    expect(await docker.isPodman()).toBe(named === "podman");
    // A pinned version skips negotiation: the engine is then learnt from /version (or any reply).
    const pinned = Docker.fromEnv({ version: "1.41" });
    expect(await pinned.engine()).toBe(named);
    await pinned.close();
  });

  it("Docker.fromEnv follows a DOCKER_HOST that names the engine's socket", async () => {
    const host = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    const viaEnv = Docker.fromEnv({ env: { DOCKER_HOST: host } });
    if (host.startsWith("unix://")) expect(viaEnv.address).toBe(host);
    expect(await viaEnv.ping()).toBe("OK");
    expect(await viaEnv.engine()).toBe(await docker.engine());
    await viaEnv.close();
  });

  it("an endpoint the engine lacks is a DockerUnsupportedError, a missing object still a 404", async () => {
    if (await docker.isPodman()) {
      const c = await container({ Cmd: ["true"] });
      const update = await c.update({ Memory: 64 * 1024 * 1024 }).catch((e) => e);
      expect(update).toBeInstanceOf(DockerUnsupportedError);
      expect(update.message).toMatch(/POST \/containers\/[0-9a-f]+\/update is not implemented by the engine at unix:\/\//);
      await expect(docker.swarm.inspect()).rejects.toBeInstanceOf(DockerUnsupportedError);
      await expect(docker.plugins.list()).rejects.toBeInstanceOf(DockerUnsupportedError);
      await expect(docker.services.list()).rejects.toBeInstanceOf(DockerUnsupportedError);
    }
    const missing = await docker.containers.get(uniqueName("absent")).catch((e) => e);
    expect(missing.status).toBe(404);
    expect(missing).not.toBeInstanceOf(DockerUnsupportedError);
  });

  it("conflicts are DockerConflictErrors (Podman's 500 causes get dockerd's statuses)", async () => {
    const name = uniqueName("taken");
    const c = await container({ Cmd: ["sleep", "300"], StopSignal: "SIGKILL" }, name);
    const taken = await container({ Cmd: ["true"] }, name).catch((e) => e);
    expect(taken).toBeInstanceOf(DockerConflictError);
    expect(taken.reason).toMatch(/already in use/);
    await c.start();
    await expect(c.remove()).rejects.toBeInstanceOf(DockerConflictError);
    await c.pause();
    await expect(c.pause()).rejects.toBeInstanceOf(DockerConflictError);
    await c.unpause(); // (unpausing twice: dockerd 20.10 answers 500, Podman a conflict)
    const net = uniqueName("net");
    const network = await docker.networks.create({ Name: net, Labels: labels });
    await expect(docker.networks.create({ Name: net, Labels: labels })).rejects.toBeInstanceOf(DockerConflictError);
    await network.remove();
  });

  it("several label filters select volumes having all of them, in list and prune", async () => {
    const both = await docker.volumes.create({ Name: uniqueName("both"), Labels: { ...labels, pick: "yes" } });
    const other = await docker.volumes.create({ Name: uniqueName("other"), Labels: { ...labels, pick: "no" } });
    const stranger = await docker.volumes.create({ Name: uniqueName("stranger"), Labels: { "berth.test": "1", [`berth.stranger.${run}`]: "1", pick: "yes" } });
    const used = await docker.volumes.create({ Name: uniqueName("used"), Labels: { ...labels, pick: "yes" } });
    const user: Container = await container({ Cmd: ["true"], HostConfig: { Mounts: [{ Type: "volume", Source: used.name, Target: "/data" }] } });
    try {
      const listed = await docker.volumes.list({ filters: { label: [mine, "pick=yes"] } });
      expect(listed.map((v) => v.name).sort()).toEqual([both.name, used.name].sort());
      const pruned = await docker.volumes.prune({ all: true, filters: { label: [mine, "pick=yes"] } });
      expect(pruned.VolumesDeleted).toEqual([both.name]);
      expect((await other.inspect()).Name).toBe(other.name);
      expect((await stranger.inspect()).Name).toBe(stranger.name);
      expect((await used.inspect()).Name).toBe(used.name);
    } finally {
      await user.remove({ force: true });
      for (const v of [other, stranger, used]) await v.remove({ force: true }).catch(() => {});
    }
  });

  it("attach with logs replays the output so far, line by line", async () => {
    const c = await container({ Cmd: ["sh", "-c", "echo one; echo two >&2; echo three; sleep 0.5"] });
    await c.start();
    await new Promise((r) => setTimeout(r, 250));
    const session = await c.attach({ logs: true });
    const { stdout, stderr } = await session.output.collect();
    expect(stdout).toBe("one\nthree\n");
    expect(stderr).toBe("two\n");
  });

  it("top gives columns, whatever ps the image has", async () => {
    const c = await container({ Cmd: ["sleep", "300"], StopSignal: "SIGKILL" });
    await c.start();
    // Right after start the process may still be the runtime's init under load: ask until it is ours.
    let found = false;
    for (let i = 0; i < 50 && !found; i++) {
      const top = await c.top();
      expect(top.Titles).toContain("PID");
      const column = top.Titles!.findIndex((t) => t === "CMD" || t === "COMMAND");
      expect(column).toBeGreaterThan(-1);
      found = top.Processes!.some((p) => p.length === top.Titles!.length && p[column] === "sleep 300");
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toBe(true);
    await c.remove({ force: true });
  });
});
