import { describe, expect, it } from "vitest";
import { DockerConflictError, DockerError, DockerNotFoundError, DockerVersionError, Volume, compareVersions } from "berth-docker";
import { operationMinVersion } from "../../src/generated/versions.ts";
import { IMAGE, useEngine } from "./helpers.ts";

describe("volumes", () => {
  const { docker, labels, run, container, uniqueName } = useEngine();
  const mine = `berth.test.run=${run}`;

  it("creates with driver, labels and driver options; the container sees the tmpfs it describes", async () => {
    const name = uniqueName("vol");
    // Podman 4 refuses a tmpfs `size` unless the storage file system has project quotas (not
    // here); it takes the other mount options.
    const podman = await docker.isPodman();
    const opts = { type: "tmpfs", device: "tmpfs", o: podman ? "nodev" : "size=2m" };
    const volume = await docker.volumes.create({
      Name: name,
      Driver: "local",
      Labels: { ...labels, purpose: "opts" },
      DriverOpts: opts,
    });
    expect(volume).toBeInstanceOf(Volume);
    expect(volume.id).toBe(name);
    expect(volume.attrs?.Driver).toBe("local");
    expect(volume.attrs?.Options).toEqual(opts);

    const info = await volume.inspect();
    expect(info.Name).toBe(name);
    expect(info.Labels).toMatchObject({ purpose: "opts", "berth.test.run": run });
    expect(info.Scope).toBe("local");
    expect(info.Mountpoint).toContain(name);

    const result = await docker.containers.run(IMAGE, ["sh", "-c", "echo hi > /data/f && cat /data/f && df -k /data | tail -1"], {
      config: { Labels: labels, HostConfig: { Mounts: [{ Type: "volume", Source: name, Target: "/data" }] } },
    });
    expect(result.exitCode).toBe(0);
    const [hi, df] = result.stdout.trim().split("\n");
    expect(hi).toBe("hi");
    expect(df).toMatch(podman ? /^tmpfs\s/ : /^tmpfs\s+2048\s/);

    await volume.remove();
    await expect(volume.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
  });

  it("lists with filters in one request, keeping the engine's warnings; gets by name", async () => {
    const a = await docker.volumes.create({ Name: uniqueName("vol"), Labels: { ...labels, list: "a" } });
    const b = await docker.volumes.create({ Name: uniqueName("vol"), Labels: { ...labels, list: "b" } });
    const all = await docker.volumes.list({ filters: { label: [mine] } });
    expect(all.map((v) => v.name).sort()).toEqual([a.name, b.name].sort());
    expect(all.every((v) => v instanceof Volume)).toBe(true);
    expect(all.warnings).toEqual([]);

    const onlyB = await docker.volumes.list({ filters: { label: [mine, "list=b"] } });
    expect(onlyB.map((v) => v.name)).toEqual([b.name]);
    expect(onlyB[0]!.attrs?.Labels?.list).toBe("b");

    const none = await docker.volumes.list({ filters: { name: [uniqueName("absent")] } });
    expect(none.length).toBe(0);
    expect(none.warnings).toEqual([]);

    const got = await docker.volumes.get(a.name);
    expect(got.attrs?.Labels?.list).toBe("a");
    const ref = docker.volumes.ref(b.name);
    expect(ref.attrs).toBeUndefined();
    await ref.reload();
    expect(ref.attrs?.Labels?.list).toBe("b");
    await a.remove();
    await b.remove();
  });

  it("refuses to remove a volume in use, even with force; force ignores a missing volume", async () => {
    const volume = await docker.volumes.create({ Name: uniqueName("vol"), Labels: labels });
    const c = await container({ Cmd: ["true"], HostConfig: { Mounts: [{ Type: "volume", Source: volume.name, Target: "/data" }] } });
    await expect(volume.remove()).rejects.toBeInstanceOf(DockerConflictError);
    await expect(volume.remove({ force: true })).rejects.toBeInstanceOf(DockerConflictError);
    await c.remove();
    await volume.remove();
    await expect(volume.remove()).rejects.toBeInstanceOf(DockerNotFoundError);
    await volume.remove({ force: true });
  });

  it("prunes by label; `all` means every unused volume on old and new engines alike", async () => {
    const keep = await docker.volumes.create({ Name: uniqueName("keep"), Labels: { ...labels, prune: "no" } });
    const named = await docker.volumes.create({ Name: uniqueName("drop"), Labels: { ...labels, prune: "yes" } });
    const used = await docker.volumes.create({ Name: uniqueName("used"), Labels: { ...labels, prune: "yes" } });
    const c = await container({ Cmd: ["true"], HostConfig: { Mounts: [{ Type: "volume", Source: used.name, Target: "/data" }] } });

    const result = await docker.volumes.prune({ all: true, filters: { label: [mine, "prune=yes"] } });
    expect(result.VolumesDeleted).toEqual([named.name]);
    expect(result.SpaceReclaimed).toBeGreaterThanOrEqual(0);
    await expect(named.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
    expect((await used.inspect()).Name).toBe(used.name);
    expect((await keep.inspect()).Name).toBe(keep.name);

    // The filter form is translated the same way (an API 1.41 engine rejects an `all` filter).
    await c.remove();
    const again = await docker.volumes.prune({ filters: { all: true, label: [mine, "prune=yes"] } });
    expect(again.VolumesDeleted).toEqual([used.name]);
    expect((await keep.inspect()).Name).toBe(keep.name);

    const nothing = await docker.volumes.prune({ all: true, filters: { label: [mine, "prune=yes"] } });
    expect(nothing.VolumesDeleted).toEqual([]);
    await keep.remove();
  });

  it("update is version-aware: the core's versions table refuses it before API 1.42", async () => {
    const volume = await docker.volumes.create({ Name: uniqueName("vol"), Labels: labels });
    const version = await docker.apiVersion();
    const needed = operationMinVersion["PUT /volumes/{name}"]!;
    expect(needed).toBe("1.42");
    if (compareVersions(version, needed) < 0) {
      const err = await volume.update({ AccessMode: { Availability: "drain" } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerVersionError);
      expect((err as DockerVersionError).required).toBe(needed);
      expect((err as DockerVersionError).actual).toBe(version);
      expect((err as Error).message).toContain("PUT /volumes/{name} needs API 1.42");
      // With an explicit version the core refuses the same way.
      await expect(volume.update({ AccessMode: { Availability: "drain" } }, { version: 1 })).rejects.toBeInstanceOf(DockerVersionError);
    } else {
      // A local volume has no cluster version to update against.
      const err = await volume.update({ AccessMode: { Availability: "drain" } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DockerError);
      expect((err as Error).message).toContain("not a cluster volume");
    }
    await volume.remove();
  });
});
