// Managed plugins, offline: the plugin is built here from the test image's filesystem (exported
// from a created container) plus a config.json, and sent to POST /plugins/create as tar. Its
// entrypoint is a shell loop that never opens the plugin socket, so enabling it must fail.
// Podman has no plugins: there the API answers that it lacks the endpoint.

import type { Container } from "../../src/resources/containers.ts";
import { Plugin } from "../../src/resources/plugins.ts";
import { DockerHttpError, DockerNotFoundError, DockerServerError, DockerStreamError } from "../../src/errors/errors.ts";
import type { ProgressStream } from "../../src/streams/progress.ts";
import { readTar, tarBytes, type TarEntry } from "../../src/streams/tar.ts";
import { refusedOnPodman, type Scenario, type ScenarioContext } from "./context.ts";

/** The plugin's manifest, as Docker's plugin config reference describes it. */
function pluginConfig(label: string) {
  return {
    description: `berth test plugin ${label}`,
    documentation: "https://docs.docker.com/engine/extend/config/",
    entrypoint: ["/bin/sh", "-c", "while true; do sleep 1; done"],
    workdir: "/",
    interface: { socket: "berth.sock", types: ["docker.volumedriver/1.0"] },
    network: { type: "none" },
    linux: { capabilities: [], allowAllDevices: false, devices: null },
    mounts: null,
    env: [{ name: "BERTH_MODE", description: "a settable variable", settable: ["value"], value: "quiet" }],
    args: { name: "flags", description: "settable arguments", settable: ["value"], value: ["--one"] },
  };
}

/**
 * The test image's root filesystem under `rootfs/`, streamed entry by entry from `docker export` of
 * `source`. The caller removes `source` after the upload has ended: removing it while the engine
 * still reads the plugin's upload waited for the engine's layer work and timed out on a fresh engine.
 */
async function* rootfsEntries(source: Container): AsyncGenerator<TarEntry> {
  for await (const entry of readTar(await source.export())) {
    if (entry.type === "other") continue; // device nodes and FIFOs: the plugin needs none
    yield {
      name: `rootfs/${entry.name.replace(/^\.?\//, "")}`,
      type: entry.type,
      mode: entry.mode,
      mtime: entry.mtime,
      uid: entry.uid,
      gid: entry.gid,
      linkname: entry.type === "hardlink" ? `rootfs/${entry.linkname.replace(/^\.?\//, "")}` : entry.linkname || undefined,
      ...(entry.type === "file" ? { data: entry.body, size: entry.size } : {}),
    };
  }
}

/** Reads a progress stream to its end: the messages, and the in-band error if one came. */
async function readProgress(stream: ProgressStream): Promise<{ messages: Array<{ status?: string }>; error: unknown }> {
  const messages: Array<{ status?: string }> = [];
  try {
    for await (const event of stream) messages.push(event);
    return { messages, error: undefined };
  } catch (error) {
    return { messages, error };
  }
}

/** On Podman, checks that plugins are an endpoint it lacks and answers true: nothing more to do. */
const podmanLacksPlugins = (ctx: ScenarioContext) => refusedOnPodman(ctx, () => ctx.docker.plugins.list());

export const pluginScenarios: Scenario[] = [
  {
    name: "plugins: create from the image's rootfs and a config.json; list, inspect, set; enable fails without a socket; push fails in-band; remove",
    timeout: 120_000,
    async run(ctx) {
      if (await podmanLacksPlugins(ctx)) return;
      const { docker, assert, labels, image, run, defer } = ctx;
      // A registry part that refuses connections, so remote operations fail fast and offline.
      const remoteName = `127.0.0.1:9/berth/plugin-${run}`;
      const name = `${remoteName}:latest`;
      defer(() => docker.plugins.ref(name).remove({ force: true }));

      const source = await docker.containers.create({ Image: image, Labels: labels });
      let plugin: Plugin;
      try {
        const config = pluginConfig(run);
        async function* archive(): AsyncGenerator<TarEntry> {
          yield { name: "config.json", data: JSON.stringify(config) };
          yield* rootfsEntries(source);
        }
        plugin = await docker.plugins.create(name, archive());
      } finally {
        await source.remove({ force: true });
      }
      assert.ok(plugin instanceof Plugin, "a Plugin");
      await plugin.reload();
      assert.match(plugin.id, /^[0-9a-f]{64}$/);
      assert.equal(plugin.name, name);
      assert.equal(plugin.enabled, false);
      assert.equal(plugin.attrs?.Config.Description, `berth test plugin ${run}`);
      assert.equal(plugin.attrs?.Config.Entrypoint, ["/bin/sh", "-c", "while true; do sleep 1; done"]);
      assert.equal(plugin.attrs?.Config.Interface.Types, ["docker.volumedriver/1.0"]);
      assert.equal(plugin.attrs?.Config.rootfs?.diff_ids?.length, 1);
      assert.equal(plugin.attrs?.Settings.Env, ["BERTH_MODE=quiet"]);
      assert.equal(plugin.attrs?.Settings.Args, ["--one"]);

      const disabled = await docker.plugins.list({ filters: { capability: ["volumedriver"], enabled: ["false"] } });
      assert.includes(disabled.map((p) => p.name), name);
      assert.equal(disabled.find((p) => p.name === name)?.id, plugin.id);
      assert.ok(!(await docker.plugins.list({ filters: { enabled: ["true"] } })).some((p) => p.name === name), "not among the enabled");
      assert.equal((await docker.plugins.get(name.replace(/:latest$/, ""))).id, plugin.id);
      assert.equal((await docker.plugins.get(plugin.id)).name, name);

      // Environment variables and arguments of a disabled plugin.
      const ref = docker.plugins.ref(name);
      await ref.set({ BERTH_MODE: "loud" });
      await ref.set(["flags=--two --three"]);
      const info = await ref.inspect();
      assert.equal(info.Settings.Env, ["BERTH_MODE=loud"]);
      assert.equal(info.Settings.Args, ["--two", "--three"]);
      await assert.rejects(ref.set({ NOT_SETTABLE: "x" }), DockerHttpError, "a variable that is not settable");

      // Enabling fails when the plugin never listens on its socket, and the plugin stays disabled.
      // The engine dials the socket a few times, seconds apart, then stops the plugin (about 20 s).
      const enabling = docker.plugins.ref(name);
      const enable = await assert.rejects(enabling.enable({ activateTimeout: 2 }), DockerServerError, "enable");
      assert.match(enable.reason, /berth\.sock/);
      await enabling.reload();
      assert.equal(enabling.enabled, false);
      const again = await assert.rejects(enabling.disable(), Error, "disabling a disabled plugin");
      assert.match(again.message, /already disabled/);

      // Pull and upgrade fail at once when the registry is unreachable.
      const remote = "127.0.0.1:9/berth/none:latest";
      const pull = await assert.rejects(docker.plugins.pull(remote, { name: `berth-test-pulled-${run}` }), DockerServerError, "pull");
      assert.match(pull.reason, /127\.0\.0\.1:9.*connection refused/);
      // A reloaded handle's id is the 64-hex id, which upgrade and push would refuse as a name:
      // they name the plugin by its name.
      const reloaded = docker.plugins.ref(name);
      await reloaded.reload();
      assert.match(reloaded.id, /^[0-9a-f]{64}$/, "a reloaded plugin's id");
      const upgrade = await assert.rejects(reloaded.upgrade(remote), DockerServerError, "upgrade");
      assert.match(upgrade.reason, /connection refused/);

      // Engine 20.10 reaches plugin registries over HTTPS only (no plain-HTTP fallback, even for
      // 127.0.0.0/8), so the local test registries cannot take a plugin: push shows its error
      // path. It answers 200 and reports the failure in-band, after its progress messages.
      const push = await reloaded.push({ auth: { username: "u", password: "p", serveraddress: "127.0.0.1:9" } });
      const { messages, error } = await readProgress(push);
      assert.equal(messages[0]?.status, `The push refers to repository [${remoteName}]`);
      assert.ok(error instanceof DockerStreamError, `a DockerStreamError, got ${String(error)}`);
      assert.match((error as Error).message, /127\.0\.0\.1:9.*connection refused/);
      assert.ok(!(error as Error).message.includes('"p"'), "the password is not in the message");
      // Engine 20.10 answers an empty list for a registry it cannot reach.
      assert.ok(Array.isArray(await docker.plugins.privileges("127.0.0.1:9/berth/none:latest")), "privileges is a list");

      const removing = docker.plugins.ref(name);
      await removing.remove();
      await assert.rejects(removing.inspect(), DockerNotFoundError);
      await assert.rejects(removing.remove(), DockerNotFoundError, "removing it again");
    },
  },
  {
    name: "plugins: create from archive bytes too; an archive without config.json is refused",
    async run(ctx) {
      if (await podmanLacksPlugins(ctx)) return;
      const { docker, assert, run, defer } = ctx;
      const small = `berth-test-small-${run}:latest`;
      defer(() => docker.plugins.ref(small).remove({ force: true }));
      const bytes = await tarBytes([
        { name: "config.json", data: JSON.stringify(pluginConfig("small")) },
        { name: "rootfs", type: "directory" },
      ]);
      const plugin = await docker.plugins.create(small, bytes);
      assert.equal((await plugin.inspect()).Config.Description, "berth test plugin small");
      await plugin.remove();
      await assert.rejects(plugin.inspect(), DockerNotFoundError);
      await assert.rejects(docker.plugins.create(`berth-test-broken-${run}`, await tarBytes([{ name: "rootfs", type: "directory" }])), DockerHttpError, "no config.json");
    },
  },
];
