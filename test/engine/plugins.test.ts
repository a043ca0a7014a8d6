// Managed plugins, offline: the plugin is built here from the test image's filesystem (exported
// from a created container) plus a config.json, and sent to POST /plugins/create as tar. Its
// entrypoint is a shell loop that never opens the plugin socket, so enabling it must fail.
import { afterAll, describe, expect, it } from "vitest";
import {
  DockerHttpError,
  DockerNotFoundError,
  DockerServerError,
  DockerStreamError,
  Plugin,
  readTar,
  tarBytes,
  type Container,
  type ProgressStream,
  type TarEntry,
} from "berth-docker";
import { useEngine } from "./helpers.ts";

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

describe("plugins", { timeout: 90_000 }, () => {
  const { docker, labels, run } = useEngine();
  // A registry part that refuses connections, so remote operations fail fast and offline.
  const remoteName = `127.0.0.1:9/berth/plugin-${run}`;
  const name = `${remoteName}:latest`;
  const small = `berth-test-small-${run}:latest`;

  afterAll(async () => {
    for (const n of [name, small]) await docker.plugins.ref(n).remove({ force: true }).catch(() => {});
  });

  /** Creates a plugin from the test image's filesystem; the exported container is removed after. */
  async function createPlugin(pluginName: string, config: ReturnType<typeof pluginConfig>): Promise<Plugin> {
    const source = await docker.containers.create({ Image: "berth-test:busybox", Labels: labels });
    try {
      async function* archive(): AsyncGenerator<TarEntry> {
        yield { name: "config.json", data: JSON.stringify(config) };
        yield* rootfsEntries(source);
      }
      return await docker.plugins.create(pluginName, archive());
    } finally {
      await source.remove({ force: true });
    }
  }

  it("creates a plugin from the image's rootfs and a config.json, lists and inspects it", async () => {
    const plugin = await createPlugin(name, pluginConfig(run));
    expect(plugin).toBeInstanceOf(Plugin);
    await plugin.reload();
    expect(plugin.id).toMatch(/^[0-9a-f]{64}$/);
    expect(plugin.name).toBe(name);
    expect(plugin.enabled).toBe(false);
    expect(plugin.attrs?.Config.Description).toBe(`berth test plugin ${run}`);
    expect(plugin.attrs?.Config.Entrypoint).toEqual(["/bin/sh", "-c", "while true; do sleep 1; done"]);
    expect(plugin.attrs?.Config.Interface.Types).toEqual(["docker.volumedriver/1.0"]);
    expect(plugin.attrs?.Config.rootfs?.diff_ids).toHaveLength(1);
    expect(plugin.attrs?.Settings.Env).toEqual(["BERTH_MODE=quiet"]);
    expect(plugin.attrs?.Settings.Args).toEqual(["--one"]);

    const disabled = await docker.plugins.list({ filters: { capability: ["volumedriver"], enabled: ["false"] } });
    expect(disabled.map((p) => p.name)).toContain(name);
    expect(disabled.find((p) => p.name === name)?.id).toBe(plugin.id);
    expect((await docker.plugins.list({ filters: { enabled: ["true"] } })).map((p) => p.name)).not.toContain(name);
    const byName = await docker.plugins.get(name.replace(/:latest$/, ""));
    expect(byName.id).toBe(plugin.id);
    expect((await docker.plugins.get(plugin.id)).name).toBe(name);
  });

  it("creates a plugin from archive bytes too", async () => {
    const bytes = await tarBytes([
      { name: "config.json", data: JSON.stringify(pluginConfig("small")) },
      { name: "rootfs", type: "directory" },
    ]);
    const plugin = await docker.plugins.create(small, bytes);
    expect((await plugin.inspect()).Config.Description).toBe("berth test plugin small");
    await plugin.remove();
    await expect(plugin.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
    await expect(docker.plugins.create(`berth-test-broken-${run}`, await tarBytes([{ name: "rootfs", type: "directory" }]))).rejects.toBeInstanceOf(DockerHttpError);
  });

  it("sets environment variables and arguments of a disabled plugin", async () => {
    const plugin = docker.plugins.ref(name);
    await plugin.set({ BERTH_MODE: "loud" });
    await plugin.set(["flags=--two --three"]);
    const info = await plugin.inspect();
    expect(info.Settings.Env).toEqual(["BERTH_MODE=loud"]);
    expect(info.Settings.Args).toEqual(["--two", "--three"]);
    await expect(plugin.set({ NOT_SETTABLE: "x" })).rejects.toBeInstanceOf(DockerHttpError);
  });

  it("enable fails when the plugin never listens on its socket, and the plugin stays disabled", async () => {
    // The engine dials the socket a few times, seconds apart, then stops the plugin (about 20 s).
    const plugin = docker.plugins.ref(name);
    const err = await plugin.enable({ activateTimeout: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerServerError);
    expect((err as DockerServerError).reason).toMatch(/berth\.sock/);
    await plugin.reload();
    expect(plugin.enabled).toBe(false);
    await expect(plugin.disable()).rejects.toThrow(/already disabled/);
  });

  it("pull and upgrade fail at once when the registry is unreachable", async () => {
    const remote = "127.0.0.1:9/berth/none:latest";
    const pull = await docker.plugins.pull(remote, { name: `berth-test-pulled-${run}` }).catch((e: unknown) => e);
    expect(pull).toBeInstanceOf(DockerServerError);
    expect((pull as DockerServerError).reason).toMatch(/127\.0\.0\.1:9.*connection refused/);
    const upgrade = await docker.plugins.ref(name).upgrade(remote).catch((e: unknown) => e);
    expect(upgrade).toBeInstanceOf(DockerServerError);
    expect((upgrade as DockerServerError).reason).toMatch(/connection refused/);
  });

  // Engine 20.10 reaches plugin registries over HTTPS only (no plain-HTTP fallback, even for
  // 127.0.0.0/8), so the local test registries cannot take a plugin: push shows its error path.
  it("push answers 200 and reports the failure in-band, after its progress messages", async () => {
    const push = await docker.plugins.ref(name).push({ auth: { username: "u", password: "p", serveraddress: "127.0.0.1:9" } });
    const { messages, error } = await readProgress(push);
    expect(messages[0]?.status).toBe(`The push refers to repository [${remoteName}]`);
    expect(error).toBeInstanceOf(DockerStreamError);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:9.*connection refused/);
    expect((error as Error).message).not.toContain('"p"');
    // Engine 20.10 answers an empty list for a registry it cannot reach.
    expect(Array.isArray(await docker.plugins.privileges("127.0.0.1:9/berth/none:latest"))).toBe(true);
  });

  it("removes the plugin", async () => {
    const plugin = docker.plugins.ref(name);
    await plugin.remove();
    await expect(plugin.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
    await expect(plugin.remove()).rejects.toBeInstanceOf(DockerNotFoundError);
  });
});
