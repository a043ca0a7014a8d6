import { describe, expect, it } from "vitest";
import { DockerConflictError, DockerHttpError, DockerNotFoundError, Network, type Docker, type NetworkCreateBody } from "berth-docker";
import { IMAGE, useEngine } from "./helpers.ts";

/**
 * Creates a network on a random private /24. Other test files create networks at the same time,
 * so a subnet that overlaps one of theirs is retried with another.
 */
async function createWithSubnet(docker: Docker, config: (subnet: string, prefix: string) => NetworkCreateBody): Promise<{ network: Network; prefix: string }> {
  for (let attempt = 0; ; attempt++) {
    const prefix = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;
    try {
      return { network: await docker.networks.create(config(`${prefix}.0/24`, prefix)), prefix };
    } catch (err) {
      if (attempt < 5 && err instanceof DockerHttpError && /overlap/i.test(err.reason)) continue;
      throw err;
    }
  }
}

describe("networks", () => {
  const { docker, labels, run, container, uniqueName } = useEngine();
  const mine = { label: [`berth.test.run=${run}`] };

  it("creates with IPAM subnet, gateway and range, options and labels; lists, gets and inspects", async () => {
    const name = uniqueName("net");
    const { network, prefix } = await createWithSubnet(docker, (subnet, p) => ({
      Name: name,
      Driver: "bridge",
      Labels: { ...labels, purpose: "ipam" },
      Options: { "com.docker.network.bridge.enable_icc": "true", "com.docker.network.driver.mtu": "1400" },
      IPAM: { Driver: "default", Config: [{ Subnet: subnet, Gateway: `${p}.1`, IPRange: `${p}.128/25` }] },
    }));
    expect(network).toBeInstanceOf(Network);
    expect(network.id).toMatch(/^[0-9a-f]{64}$/);

    const info = await network.inspect();
    expect(info.Name).toBe(name);
    expect(info.Driver).toBe("bridge");
    expect(info.Internal).toBe(false);
    expect(info.Labels).toMatchObject({ purpose: "ipam", "berth.test.run": run });
    const podman = await docker.isPodman();
    // Podman translates the Docker driver options it knows to its own names.
    expect(info.Options).toMatchObject(podman ? { mtu: "1400" } : { "com.docker.network.driver.mtu": "1400" });
    // Podman 4 applies the range (its lease range) but leaves it out of the Docker-style inspect.
    const range = podman ? {} : { IPRange: `${prefix}.128/25` };
    expect(info.IPAM?.Config).toEqual([{ Subnet: `${prefix}.0/24`, Gateway: `${prefix}.1`, ...range }]);

    const listed = await docker.networks.list({ filters: { ...mine, name: [name] } });
    expect(listed.map((n) => n.id)).toEqual([network.id]);
    expect(listed[0]!.name).toBe(name);
    expect(listed[0]!.attrs?.IPAM?.Config?.[0]?.Subnet).toBe(`${prefix}.0/24`);

    const byName = await docker.networks.get(name, { verbose: true, scope: "local" });
    expect(byName.id).toBe(network.id);
    const ref = docker.networks.ref(name);
    await ref.reload();
    expect(ref.id).toBe(network.id);
    expect(ref.name).toBe(name);

    // Newer engines always refuse a duplicate name; older ones are asked to.
    await expect(docker.networks.create({ Name: name, Labels: labels })).rejects.toBeInstanceOf(DockerConflictError);

    await network.remove();
    await expect(network.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
    await expect(docker.networks.get(uniqueName("missing"))).rejects.toBeInstanceOf(DockerNotFoundError);
  });

  it("connects a container with aliases and a fixed IPv4, then disconnects it with force", async () => {
    const name = uniqueName("net");
    const { network, prefix } = await createWithSubnet(docker, (subnet) => ({ Name: name, Labels: labels, IPAM: { Config: [{ Subnet: subnet }] } }));
    const alias = uniqueName("alias");
    const c = await container({ Cmd: ["sleep", "300"], StopSignal: "SIGKILL" });
    await c.start();

    await network.connect(c, { aliases: [alias], ipv4Address: `${prefix}.42` });
    const settings = (await c.inspect()).NetworkSettings?.Networks?.[name];
    expect(settings?.IPAddress).toBe(`${prefix}.42`);
    expect(settings?.Aliases).toContain(alias);
    if (await docker.isPodman()) {
      // Podman 4 reports no IPAMConfig, and the network's name as its NetworkID.
      expect(settings?.NetworkID).toBe(name);
    } else {
      expect(settings?.IPAMConfig?.IPv4Address).toBe(`${prefix}.42`);
      expect(settings?.NetworkID).toBe(network.id);
    }

    const attached = await network.inspect();
    expect(Object.keys(attached.Containers ?? {})).toEqual([c.id]);
    expect(attached.Containers?.[c.id]?.IPv4Address).toBe(`${prefix}.42/24`);

    // Another container on the network reaches it by its alias, at the fixed address.
    const probe = await docker.containers.run(IMAGE, ["ping", "-c", "1", "-W", "5", alias], {
      config: { Labels: labels, HostConfig: { NetworkMode: name } },
    });
    expect(probe.exitCode).toBe(0);
    expect(probe.stdout).toContain(`(${prefix}.42)`);

    await network.disconnect(c.id, { force: true });
    expect((await c.inspect()).NetworkSettings?.Networks?.[name]).toBeUndefined();
    expect(Object.keys((await network.inspect()).Containers ?? {})).toEqual([]);

    // Connecting by name works too, and an address outside the subnet is refused.
    await expect(network.connect(c.id, { ipv4Address: "192.0.2.9" })).rejects.toBeInstanceOf(DockerHttpError);
    await c.remove({ force: true });
    await network.remove();
  });

  it("creates an internal network", async () => {
    const name = uniqueName("internal");
    const network = await docker.networks.create({ Name: name, Internal: true, Labels: labels });
    const info = await network.inspect();
    expect(info.Internal).toBe(true);
    expect(info.Attachable).toBe(false);

    expect((await docker.networks.list({ filters: { ...mine, name: [name] } }))[0]?.attrs?.Internal).toBe(true);
    await network.remove();
  });

  it("prunes only what the filters select", async () => {
    const keepName = uniqueName("keep");
    const dropName = uniqueName("drop");
    const keep = await docker.networks.create({ Name: keepName, Labels: { ...labels, prune: "no" } });
    const drop = await docker.networks.create({ Name: dropName, Labels: { ...labels, prune: "yes" } });
    const result = await docker.networks.prune({ filters: { label: [`berth.test.run=${run}`, "prune=yes"] } });
    expect(result.NetworksDeleted).toEqual([dropName]);
    await expect(drop.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
    expect((await keep.inspect()).Name).toBe(keepName);
    await keep.remove();
  });
});
