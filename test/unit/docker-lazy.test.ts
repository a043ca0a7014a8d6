// The swarm and plugin collections are made on first use, not by every `new Docker()`, and the
// build call is loaded with the first build, not carried by every page that uses `Docker`.

import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { Docker } from "../../src/index.ts";
import { PluginCollection } from "../../src/resources/plugins.ts";
import { ServiceCollection } from "../../src/resources/services.ts";
// @ts-expect-error: a plain .mjs helper shared with scripts/browser-size.mjs
import { eagerBundle } from "../../scripts/lib/bundle-size.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

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

describe("Docker's build call", () => {
  it("is not in what a page that lists containers loads eagerly", async () => {
    const page = await eagerBundle(ROOT, `import { Docker } from "./adapters/browser.ts"; (globalThis as any).d = new Docker({ url: "http://x" }).containers.list();`);
    const eager = Object.keys(page.inputs);
    expect(eager).toContain("src/resources/images.ts");
    expect(eager).not.toContain("src/buildkit/build.ts");
    expect(eager).not.toContain("src/buildkit/session/options.ts");
  });
});
