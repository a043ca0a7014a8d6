// Volumes: create with driver options (seen from inside a container), list with filters, removal
// of a volume in use, prune by label with `all`, and the version-aware update.

import { DockerConflictError, DockerError, DockerNotFoundError, DockerVersionError } from "../../src/errors/errors.ts";
import { operationMinVersion } from "../../src/generated/versions.ts";
import { compareVersions } from "../../src/request/version.ts";
import { Volume } from "../../src/resources/volumes.ts";
import type { Scenario } from "./context.ts";

export const volumeScenarios: Scenario[] = [
  {
    name: "volumes: create with driver, labels and driver options; the container sees the tmpfs it describes",
    async run({ docker, assert, name, labels, run, image }) {
      const volumeName = name("vol");
      // Podman 4 refuses a tmpfs `size` unless the storage file system has project quotas (not
      // here); it takes the other mount options.
      const podman = await docker.isPodman();
      const opts = { type: "tmpfs", device: "tmpfs", o: podman ? "nodev" : "size=2m" };
      const volume = await docker.volumes.create({ Name: volumeName, Driver: "local", Labels: { ...labels, purpose: "opts" }, DriverOpts: opts });
      assert.ok(volume instanceof Volume, "a Volume");
      assert.equal(volume.id, volumeName);
      assert.equal(volume.attrs?.Driver, "local");
      assert.equal(volume.attrs?.Options, opts);

      const info = await volume.inspect();
      assert.equal(info.Name, volumeName);
      assert.equal(info.Labels?.purpose, "opts");
      assert.equal(info.Labels?.["berth.test.run"], run);
      assert.equal(info.Scope, "local");
      assert.includes(info.Mountpoint, volumeName, "Mountpoint");

      const result = await docker.containers.run(image, ["sh", "-c", "echo hi > /data/f && cat /data/f && df -k /data | tail -1"], {
        config: { Labels: labels, HostConfig: { Mounts: [{ Type: "volume", Source: volumeName, Target: "/data" }] } },
      });
      assert.equal(result.exitCode, 0);
      const [hi, df] = result.stdout.trim().split("\n");
      assert.equal(hi, "hi");
      assert.match(df ?? "", podman ? /^tmpfs\s/ : /^tmpfs\s+2048\s/);

      await volume.remove();
      await assert.rejects(volume.inspect(), DockerNotFoundError);
    },
  },
  {
    name: "volumes: list with filters in one request, keeping the engine's warnings; get by name; a ref reloads",
    async run({ docker, assert, name, labels, run }) {
      const mine = `berth.test.run=${run}`;
      const a = await docker.volumes.create({ Name: name("vol"), Labels: { ...labels, list: "a" } });
      const b = await docker.volumes.create({ Name: name("vol"), Labels: { ...labels, list: "b" } });
      const all = await docker.volumes.list({ filters: { label: [mine] } });
      assert.equal(all.map((v) => v.name).sort(), [a.name, b.name].sort());
      assert.ok(all.every((v) => v instanceof Volume), "every item a Volume");
      assert.equal(all.warnings, []);

      const onlyB = await docker.volumes.list({ filters: { label: [mine, "list=b"] } });
      assert.equal(onlyB.map((v) => v.name), [b.name]);
      assert.equal(onlyB[0]!.attrs?.Labels?.list, "b");

      const none = await docker.volumes.list({ filters: { name: [name("absent")] } });
      assert.equal(none.length, 0);
      assert.equal(none.warnings, []);

      const got = await docker.volumes.get(a.name);
      assert.equal(got.attrs?.Labels?.list, "a");
      const ref = docker.volumes.ref(b.name);
      assert.equal(ref.attrs, undefined);
      await ref.reload();
      assert.equal(ref.attrs?.Labels?.list, "b");
      await a.remove();
      await b.remove();
    },
  },
  {
    name: "volumes: a volume in use is not removed, even with force; force ignores a missing volume",
    async run({ docker, assert, name, labels, container }) {
      const volume = await docker.volumes.create({ Name: name("vol"), Labels: labels });
      const c = await container({ Cmd: ["true"], HostConfig: { Mounts: [{ Type: "volume", Source: volume.name, Target: "/data" }] } });
      await assert.rejects(volume.remove(), DockerConflictError);
      await assert.rejects(volume.remove({ force: true }), DockerConflictError, "force");
      await c.remove();
      await volume.remove();
      await assert.rejects(volume.remove(), DockerNotFoundError);
      await volume.remove({ force: true });
    },
  },
  {
    name: "volumes: prune by label; `all` means every unused volume on old and new engines alike",
    async run({ docker, assert, name, labels, run, container }) {
      const mine = `berth.test.run=${run}`;
      const keep = await docker.volumes.create({ Name: name("keep"), Labels: { ...labels, prune: "no" } });
      const named = await docker.volumes.create({ Name: name("drop"), Labels: { ...labels, prune: "yes" } });
      const used = await docker.volumes.create({ Name: name("used"), Labels: { ...labels, prune: "yes" } });
      const c = await container({ Cmd: ["true"], HostConfig: { Mounts: [{ Type: "volume", Source: used.name, Target: "/data" }] } });

      const result = await docker.volumes.prune({ all: true, filters: { label: [mine, "prune=yes"] } });
      assert.equal(result.VolumesDeleted, [named.name]);
      assert.ok((result.SpaceReclaimed ?? -1) >= 0, `SpaceReclaimed ${result.SpaceReclaimed}`);
      await assert.rejects(named.inspect(), DockerNotFoundError);
      assert.equal((await used.inspect()).Name, used.name);
      assert.equal((await keep.inspect()).Name, keep.name);

      // The filter form is translated the same way (an API 1.41 engine rejects an `all` filter).
      await c.remove();
      const again = await docker.volumes.prune({ filters: { all: true, label: [mine, "prune=yes"] } });
      assert.equal(again.VolumesDeleted, [used.name]);
      assert.equal((await keep.inspect()).Name, keep.name);

      const nothing = await docker.volumes.prune({ all: true, filters: { label: [mine, "prune=yes"] } });
      assert.equal(nothing.VolumesDeleted, []);
      await keep.remove();
    },
  },
  {
    name: "volumes: update is version-aware: the core's versions table refuses it before API 1.42",
    async run({ docker, assert, name, labels }) {
      const volume = await docker.volumes.create({ Name: name("vol"), Labels: labels });
      const version = await docker.apiVersion();
      const needed = operationMinVersion["PUT /volumes/{name}"]!;
      assert.equal(needed, "1.42");
      if (compareVersions(version, needed) < 0) {
        const err = await assert.rejects(volume.update({ AccessMode: { Availability: "drain" } }), DockerVersionError);
        assert.equal(err.required, needed);
        assert.equal(err.actual, version);
        assert.includes(err.message, "PUT /volumes/{name} needs API 1.42");
        // With an explicit version the core refuses the same way.
        await assert.rejects(volume.update({ AccessMode: { Availability: "drain" } }, { version: 1 }), DockerVersionError, "explicit version");
      } else {
        // A local volume has no cluster version to update against.
        const err = await assert.rejects(volume.update({ AccessMode: { Availability: "drain" } }), DockerError);
        assert.includes(err.message, "not a cluster volume");
      }
      await volume.remove();
    },
  },
];
