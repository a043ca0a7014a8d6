// Networks: IPAM, options and labels; connecting a container with aliases and a fixed address;
// internal networks; prune by label.

import type { Docker } from "../../src/docker.ts";
import { DockerConflictError, DockerHttpError, DockerNotFoundError } from "../../src/errors/errors.ts";
import type { NetworkCreateBody } from "../../src/generated/types.ts";
import { Network } from "../../src/resources/networks.ts";
import type { Scenario } from "./context.ts";

/**
 * Creates a network on a random private /24. Other suites create networks at the same time, so a
 * subnet that overlaps one of theirs is retried with another.
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

export const networkScenarios: Scenario[] = [
  {
    name: "networks: create with IPAM subnet, gateway and range, options and labels; list, get and inspect",
    async run({ docker, assert, name, labels, run }) {
      const netName = name("net");
      const { network, prefix } = await createWithSubnet(docker, (subnet, p) => ({
        Name: netName,
        Driver: "bridge",
        Labels: { ...labels, purpose: "ipam" },
        Options: { "com.docker.network.bridge.enable_icc": "true", "com.docker.network.driver.mtu": "1400" },
        IPAM: { Driver: "default", Config: [{ Subnet: subnet, Gateway: `${p}.1`, IPRange: `${p}.128/25` }] },
      }));
      assert.ok(network instanceof Network, "a Network");
      assert.match(network.id, /^[0-9a-f]{64}$/);

      const info = await network.inspect();
      assert.equal(info.Name, netName);
      assert.equal(info.Driver, "bridge");
      assert.equal(info.Internal, false);
      assert.equal(info.Labels?.purpose, "ipam");
      assert.equal(info.Labels?.["berth.test.run"], run);
      const podman = await docker.isPodman();
      // Podman translates the Docker driver options it knows to its own names.
      if (podman) assert.equal(info.Options?.mtu, "1400");
      else assert.equal(info.Options?.["com.docker.network.driver.mtu"], "1400");
      // Podman 4 applies the range (its lease range) but leaves it out of the Docker-style inspect.
      const range = podman ? {} : { IPRange: `${prefix}.128/25` };
      assert.equal(info.IPAM?.Config, [{ Subnet: `${prefix}.0/24`, Gateway: `${prefix}.1`, ...range }]);

      const listed = await docker.networks.list({ filters: { label: [`berth.test.run=${run}`], name: [netName] } });
      assert.equal(listed.map((n) => n.id), [network.id]);
      assert.equal(listed[0]!.name, netName);
      assert.equal(listed[0]!.attrs?.IPAM?.Config?.[0]?.Subnet, `${prefix}.0/24`);

      const byName = await docker.networks.get(netName, { verbose: true, scope: "local" });
      assert.equal(byName.id, network.id);
      const ref = docker.networks.ref(netName);
      await ref.reload();
      assert.equal(ref.id, network.id);
      assert.equal(ref.name, netName);

      // Newer engines always refuse a duplicate name; older ones are asked to.
      await assert.rejects(docker.networks.create({ Name: netName, Labels: labels }), DockerConflictError, "a duplicate name");

      await network.remove();
      await assert.rejects(network.inspect(), DockerNotFoundError);
      await assert.rejects(docker.networks.get(name("missing")), DockerNotFoundError);
    },
  },
  {
    name: "networks: connect a container with aliases and a fixed IPv4, reach it by alias, disconnect with force",
    async run({ docker, assert, name, labels, image, container }) {
      const netName = name("net");
      const { network, prefix } = await createWithSubnet(docker, (subnet) => ({ Name: netName, Labels: labels, IPAM: { Config: [{ Subnet: subnet }] } }));
      const alias = name("alias");
      const c = await container({ Cmd: ["sleep", "300"], StopSignal: "SIGKILL" });
      await c.start();

      await network.connect(c, { aliases: [alias], ipv4Address: `${prefix}.42` });
      const settings = (await c.inspect()).NetworkSettings?.Networks?.[netName];
      assert.equal(settings?.IPAddress, `${prefix}.42`);
      assert.includes(settings?.Aliases, alias, "Aliases");
      if (await docker.isPodman()) {
        // Podman 4 reports no IPAMConfig, and the network's name as its NetworkID.
        assert.equal(settings?.NetworkID, netName);
      } else {
        assert.equal(settings?.IPAMConfig?.IPv4Address, `${prefix}.42`);
        assert.equal(settings?.NetworkID, network.id);
      }

      const attached = await network.inspect();
      assert.equal(Object.keys(attached.Containers ?? {}), [c.id]);
      assert.equal(attached.Containers?.[c.id]?.IPv4Address, `${prefix}.42/24`);

      // Another container on the network resolves its alias to the fixed address (ping prints it).
      // Whether the packet then arrives is the host's firewall's matter, not the API's: an engine
      // run with --iptables=false beside another one (the 23.0.6 test engine) has its forwarding
      // dropped, so the ping's exit status is not asserted.
      const probe = await docker.containers.run(image, ["sh", "-c", `ping -c 1 -W 2 ${alias}; true`], { config: { Labels: labels, HostConfig: { NetworkMode: netName } } });
      assert.includes(probe.stdout, `PING ${alias} (${prefix}.42)`);

      await network.disconnect(c.id, { force: true });
      assert.equal((await c.inspect()).NetworkSettings?.Networks?.[netName], undefined);
      assert.equal(Object.keys((await network.inspect()).Containers ?? {}), []);

      // Connecting by name works too, and an address outside the subnet is refused.
      await assert.rejects(network.connect(c.id, { ipv4Address: "192.0.2.9" }), DockerHttpError, "an address outside the subnet");
      await c.remove({ force: true });
      await network.remove();
    },
  },
  {
    name: "networks: an internal network",
    async run({ docker, assert, name, labels, run }) {
      const netName = name("internal");
      const network = await docker.networks.create({ Name: netName, Internal: true, Labels: labels });
      const info = await network.inspect();
      assert.equal(info.Internal, true);
      assert.equal(info.Attachable, false);
      const [listed] = await docker.networks.list({ filters: { label: [`berth.test.run=${run}`], name: [netName] } });
      assert.equal(listed?.attrs?.Internal, true);
      await network.remove();
    },
  },
  {
    name: "networks: prune removes only what the filters select",
    async run({ docker, assert, name, labels, run }) {
      const keepName = name("keep");
      const dropName = name("drop");
      const keep = await docker.networks.create({ Name: keepName, Labels: { ...labels, prune: "no" } });
      const drop = await docker.networks.create({ Name: dropName, Labels: { ...labels, prune: "yes" } });
      const result = await docker.networks.prune({ filters: { label: [`berth.test.run=${run}`, "prune=yes"] } });
      assert.equal(result.NetworksDeleted, [dropName]);
      await assert.rejects(drop.inspect(), DockerNotFoundError);
      assert.equal((await keep.inspect()).Name, keepName);
      await keep.remove();
    },
  },
];
