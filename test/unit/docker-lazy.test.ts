// The swarm and plugin collections are made on first use, not by every `new Docker()`.

import { describe, expect, it } from "vitest";
import { Docker } from "../../src/index.ts";
import { PluginCollection } from "../../src/resources/plugins.ts";
import { ServiceCollection } from "../../src/resources/services.ts";

const transport = { address: "unix:///nowhere", send: async () => Promise.reject(new Error("not sent")) };

describe("Docker's collections", () => {
  it("creates swarm, services, tasks, nodes, secrets, configs and plugins only when used, once", () => {
    const docker = new Docker({ transport } as never);
    const lazy = ["swarm", "services", "tasks", "nodes", "secrets", "configs", "plugins"];
    // Not own properties of the instance: nothing was built for them.
    expect(Object.keys(docker).filter((k) => lazy.includes(k))).toEqual([]);
    expect(docker.services).toBeInstanceOf(ServiceCollection);
    expect(docker.services).toBe(docker.services);
    expect(docker.plugins).toBeInstanceOf(PluginCollection);
    for (const name of lazy) expect((docker as unknown as Record<string, unknown>)[name]).toBe((docker as unknown as Record<string, unknown>)[name]);
    // Two clients never share one.
    expect(new Docker({ transport } as never).services).not.toBe(docker.services);
  });
});
