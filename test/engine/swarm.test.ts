// A single-node swarm on the test engine: swarm, nodes, services, tasks, secrets, configs and an
// attachable overlay network. The engine leaves the swarm at the end, even when a test fails. An
// engine already in a swarm is never touched: the file then fails at once, saying so.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Config,
  Docker,
  DockerHttpError,
  DockerNotFoundError,
  DockerServerError,
  Secret,
  Service,
  Task,
  demuxStream,
  type Frame,
  type ServiceSpec,
} from "berth-docker";
import { IMAGE, useEngine } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value other than undefined, or fails after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(250);
  }
}

async function frames(body: ReadableStream<Uint8Array> | null): Promise<Frame[]> {
  const out: Frame[] = [];
  if (!body) return out;
  const reader = body.pipeThrough(demuxStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

const text = (fs: Frame[], stream = "stdout") => fs.filter((f) => f.stream === stream).map((f) => new TextDecoder().decode(f.data)).join("");

// Another engine on the same host (a disposable one, see scripts/spare-engine.sh) needs ports of
// its own for a swarm of its own: BERTH_TEST_SWARM_PORT (default 2377) and the VXLAN data path
// port one above it when set.
const SWARM_PORT = Number(process.env.BERTH_TEST_SWARM_PORT || 2377);
const SWARM_ADDR = `127.0.0.1:${SWARM_PORT}`;
const DATA_PATH_PORT = process.env.BERTH_TEST_SWARM_PORT ? SWARM_PORT + 1 : undefined;

describe("swarm", { timeout: 120_000 }, () => {
  const { docker, labels, run, uniqueName } = useEngine();
  const mine = `berth.test.run=${run}`;
  let nodeId = "";
  let initialised = false;
  let gwbridgeBefore = true;

  beforeAll(async () => {
    const state = await docker.swarm.state();
    if (state !== "inactive") {
      throw new Error(
        `The engine is already in a swarm (LocalNodeState "${state}"). This test builds and leaves its own single-node swarm ` +
          `and never touches an existing one: run it against an engine outside swarm mode (docker swarm leave --force).`,
      );
    }
    gwbridgeBefore = (await docker.networks.list({ filters: { name: ["docker_gwbridge"] } })).some((n) => n.name === "docker_gwbridge");
    // Set before init: an init that fails after the engine acted (a timeout) still gets undone.
    initialised = true;
    nodeId = await docker.swarm.init({ ListenAddr: SWARM_ADDR, AdvertiseAddr: "127.0.0.1", DataPathPort: DATA_PATH_PORT, Spec: { Labels: labels } });
  }, 60_000);

  afterAll(async () => {
    if (!initialised) return;
    // A client of its own: useEngine's may already be closed when this hook runs.
    const teardown = Docker.fromEnv();
    try {
      if ((await teardown.swarm.state()) !== "inactive") await teardown.swarm.leave({ force: true });
      // The swarm made docker_gwbridge; leaving keeps it. Remove it if it was not there before.
      if (!gwbridgeBefore) await teardown.networks.ref("docker_gwbridge").remove().catch(() => {});
    } finally {
      await teardown.close();
    }
  }, 60_000);

  it("init answers the node id; inspect shows the swarm, its version and join tokens", async () => {
    expect(nodeId).toMatch(/^[0-9a-z]{25}$/);
    expect(await docker.swarm.state()).toBe("active");
    const swarm = await docker.swarm.inspect();
    expect(swarm.ID).toMatch(/^[0-9a-z]{25}$/);
    expect(swarm.Version?.Index).toBeGreaterThan(0);
    expect(swarm.Spec?.Labels).toMatchObject(labels);
    expect(swarm.JoinTokens?.Worker).toMatch(/^SWMTKN-1-/);
    expect(swarm.JoinTokens?.Manager).toMatch(/^SWMTKN-1-/);
  });

  it("update: function form, version from inspect, token rotation, stale versions refused", async () => {
    const before = await docker.swarm.inspect();
    await docker.swarm.update((spec) => ({ ...spec, Labels: { ...spec.Labels, updated: "yes" }, Orchestration: { TaskHistoryRetentionLimit: 3 } }));
    const after = await docker.swarm.inspect();
    expect(after.Spec?.Labels).toMatchObject({ ...labels, updated: "yes" });
    expect(after.Spec?.Orchestration?.TaskHistoryRetentionLimit).toBe(3);
    expect(after.Version!.Index!).toBeGreaterThan(before.Version!.Index!);
    expect(after.JoinTokens?.Worker).toBe(before.JoinTokens?.Worker);

    await docker.swarm.update(undefined, { rotateWorkerToken: true });
    const rotated = await docker.swarm.inspect();
    expect(rotated.JoinTokens?.Worker).not.toBe(before.JoinTokens?.Worker);
    expect(rotated.JoinTokens?.Manager).toBe(before.JoinTokens?.Manager);
    expect(rotated.Spec?.Labels?.updated).toBe("yes");

    const stale = await docker.swarm.update(rotated.Spec!, { version: before.Version!.Index! }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(DockerHttpError);
    expect((stale as DockerHttpError).reason).toMatch(/out of sequence/);
  });

  it("autolock: unlock key appears, rotates, and unlock refuses an unlocked swarm; join refuses a member", async () => {
    expect(await docker.swarm.unlockKey()).toBe("");
    await docker.swarm.update((spec) => ({ ...spec, EncryptionConfig: { AutoLockManagers: true } }));
    const key = await docker.swarm.unlockKey();
    expect(key).toMatch(/^SWMKEY-1-/);
    await docker.swarm.update(undefined, { rotateManagerUnlockKey: true });
    const rotated = await docker.swarm.unlockKey();
    expect(rotated).toMatch(/^SWMKEY-1-/);
    expect(rotated).not.toBe(key);
    await expect(docker.swarm.unlock(rotated)).rejects.toThrow(/not locked/);
    await docker.swarm.update((spec) => ({ ...spec, EncryptionConfig: { AutoLockManagers: false } }));
    expect(await docker.swarm.unlockKey()).toBe("");

    const { JoinTokens } = await docker.swarm.inspect();
    const join = docker.swarm.join({ ListenAddr: SWARM_ADDR, RemoteAddrs: [SWARM_ADDR], JoinToken: JoinTokens!.Worker! });
    await expect(join).rejects.toThrow(/already part of a swarm/);
  });

  it("nodes: list, get by id and hostname, update with the version from inspect", async () => {
    // Until the node's agent has reported in (ready, with its engine's description), the manager
    // keeps writing the node, each write a new version: an update with a version read before
    // that is "out of sequence".
    await eventually("the node to report ready", async () => {
      const info = await docker.nodes.ref(nodeId).inspect();
      return info.Status?.State === "ready" && info.Description?.Engine?.EngineVersion ? info : undefined;
    });
    const nodes = await docker.nodes.list();
    expect(nodes.map((n) => n.id)).toEqual([nodeId]);
    const node = nodes[0]!;
    expect(node.attrs?.ManagerStatus?.Leader).toBe(true);
    expect(node.attrs?.Spec?.Role).toBe("manager");
    expect(node.hostname).toBeTruthy();
    expect((await docker.nodes.list({ filters: { role: ["worker"] } })).length).toBe(0);

    const byHostname = await docker.nodes.get(node.hostname!);
    expect(byHostname.id).toBe(nodeId);
    const version = byHostname.version!;

    await node.update((spec) => ({ ...spec, Labels: { ...spec.Labels, "berth.zone": "a" } }));
    await node.reload();
    expect(node.attrs?.Spec?.Labels).toEqual({ "berth.zone": "a" });
    expect(node.version!).toBeGreaterThan(version);
    expect(node.attrs?.Spec?.Availability).toBe("active");

    await node.update({ Role: "manager", Availability: "active", Labels: {} }, { version: node.version! });
    expect((await node.inspect()).Spec?.Labels ?? {}).toEqual({});
    await expect(node.update({ Role: "manager", Availability: "active" }, { version: version })).rejects.toThrow(/out of sequence/);
    // The only manager cannot be removed.
    await expect(node.remove()).rejects.toBeInstanceOf(DockerHttpError);
    await expect(docker.nodes.get("no-such-node-" + run)).rejects.toBeInstanceOf(DockerNotFoundError);
  });

  it("services: create, list, inspect, scale, update, rollback, tasks, logs, remove", async () => {
    const name = uniqueName("svc");
    const spec: ServiceSpec = {
      Name: name,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: IMAGE, Command: ["sh", "-c", "echo service-says-hi; echo to-stderr >&2; exec sleep 300"], Labels: labels, StopGracePeriod: 1_000_000_000 },
        RestartPolicy: { Condition: "none" },
      },
      Mode: { Replicated: { Replicas: 1 } },
    };
    const service = await docker.services.create(spec, { auth: { username: "nobody", password: "unused", serveraddress: "registry.invalid" } });
    expect(service).toBeInstanceOf(Service);
    expect(service.id).toMatch(/^[0-9a-z]{25}$/);
    expect(Array.isArray(service.warnings)).toBe(true);

    const listed = await docker.services.list({ filters: { label: [mine], name: [name] }, status: true });
    expect(listed.map((s) => s.id)).toEqual([service.id]);
    expect(listed[0]!.name).toBe(name);
    expect(listed[0]!.attrs?.ServiceStatus?.DesiredTasks).toBe(1);

    const byName = await docker.services.get(name, { insertDefaults: true });
    expect(byName.id).toBe(service.id);
    expect(byName.attrs?.Spec?.TaskTemplate?.ContainerSpec?.Image).toBe(IMAGE);
    expect(byName.attrs?.Spec?.UpdateConfig).toBeDefined(); // filled in by insertDefaults

    const running = (n: number) => async () => {
      const tasks = await service.tasks({ filters: { "desired-state": ["running"] } });
      return tasks.length === n && tasks.every((t) => t.state === "running") ? tasks : undefined;
    };
    const [task] = await eventually("one running task", running(1));
    expect(task).toBeInstanceOf(Task);
    expect(task!.attrs?.ServiceID).toBe(service.id);

    // tasks collection: list by service, get by id
    const viaCollection = await docker.tasks.list({ filters: { service: [name] } });
    expect(viaCollection.map((t) => t.id)).toContain(task!.id);
    const got = await docker.tasks.get(task!.id);
    expect(got.attrs?.NodeID).toBe(nodeId);
    expect(got.attrs?.Spec?.ContainerSpec?.Image).toBe(IMAGE);
    expect(got.attrs?.Status?.ContainerStatus?.ContainerID).toMatch(/^[0-9a-f]{64}$/);

    // logs: the service's and the task's, demuxed like container logs (and raw, for callers who want it)
    const logs = await eventually("the service's logs", async () => {
      const collected = await (await service.logs()).collect();
      return collected.stdout.includes("service-says-hi") ? collected : undefined;
    });
    expect(logs.stdout).toBe("service-says-hi\n");
    expect(logs.stderr).toBe("to-stderr\n");
    const onlyStderr = await (await task!.logs({ stdout: false })).collect();
    expect(onlyStderr.stderr).toBe("to-stderr\n");
    expect(onlyStderr.stdout).toBe("");
    const raw = await frames((await task!.logsRaw({ stdout: false })).body);
    expect(text(raw, "stderr")).toBe("to-stderr\n");

    // scale reads the version itself
    const v1 = (await service.reload()).version!;
    await service.scale(2);
    await eventually("two running tasks", running(2));
    await service.reload();
    expect(service.attrs?.Spec?.Mode?.Replicated?.Replicas).toBe(2);
    expect(service.version!).toBeGreaterThan(v1);

    // update: a function of the current spec; an explicit stale version is refused
    const answer = await service.update((current) => ({ ...current, Labels: { ...current.Labels, tier: "web" } }));
    expect(answer.Warnings).toEqual([]);
    await service.reload();
    expect(service.attrs?.Spec?.Labels).toMatchObject({ ...labels, tier: "web" });
    expect(service.attrs?.Spec?.Mode?.Replicated?.Replicas).toBe(2);
    await expect(service.update(service.attrs!.Spec!, { version: v1 })).rejects.toThrow(/out of sequence/);

    // rollback restores the spec before the last update
    await service.rollback();
    // The orchestrator records the rollback's progress on the service, each step a new version:
    // an update sent meanwhile is "out of sequence". Wait until it is done.
    await eventually("the rollback to finish", async () => {
      // The engine also reports rollback_started/_paused/_completed, which the spec does not list.
      const state: string | undefined = (await service.inspect()).UpdateStatus?.State;
      return state === "rollback_started" || state === "updating" ? undefined : state ?? "none";
    });
    await service.reload();
    expect(service.attrs?.Spec?.Labels?.tier).toBeUndefined();
    expect(service.attrs?.Spec?.Mode?.Replicated?.Replicas).toBe(2);

    // registryAuthFrom is accepted with an update
    await service.update((current) => ({ ...current, Labels: { ...current.Labels, again: "1" } }), { registryAuthFrom: "previous-spec" });
    expect((await service.inspect()).Spec?.Labels?.again).toBe("1");

    await service.remove();
    await expect(service.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
    await expect(docker.services.ref(name).remove()).rejects.toBeInstanceOf(DockerNotFoundError);
  });

  it("a TTY service's and task's logs through handles without attrs (create's, ref's) ask the engine about the TTY", async () => {
    const name = uniqueName("tty");
    const service = await docker.services.create({
      Name: name,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: IMAGE, Command: ["sh", "-c", "echo tty-says-hi; exec sleep 300"], TTY: true, Labels: labels, StopGracePeriod: 1_000_000_000 },
        RestartPolicy: { Condition: "none" },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    try {
      expect(service.attrs).toBeUndefined();
      // Not multiplexed: read as frames, the text would be "malformed multiplexed stream".
      const logs = await eventually("the TTY service's logs", async () => {
        const collected = await (await service.logs()).collect();
        return collected.stdout.includes("tty-says-hi") ? collected : undefined;
      }, 30_000);
      expect(logs).toEqual({ stdout: "tty-says-hi\r\n", stderr: "" });
      const viaRef = await (await docker.services.ref(name).logs()).collect();
      expect(viaRef.stdout).toBe("tty-says-hi\r\n");
      const [task] = await service.tasks();
      const taskRef = docker.tasks.ref(task!.id);
      expect((await (await taskRef.logs()).collect()).stdout).toBe("tty-says-hi\r\n");
      expect(taskRef.attrs?.Spec?.ContainerSpec?.TTY).toBe(true); // the inspect filled them
    } finally {
      await service.remove();
    }
  });

  it("a global service cannot be scaled", async () => {
    const service = await docker.services.create({
      Name: uniqueName("global"),
      Labels: labels,
      TaskTemplate: { ContainerSpec: { Image: IMAGE, Command: ["sleep", "300"], Labels: labels } },
      Mode: { Global: {} },
    });
    await expect(service.scale(3)).rejects.toThrow(/not in replicated mode/);
    await service.remove();
  });

  it("secrets and configs: create from text and bytes, list, inspect, update labels, use in a service, remove", async () => {
    const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
    const secret = await docker.secrets.create({ Name: uniqueName("secret"), Labels: labels, Data: binary });
    expect(secret).toBeInstanceOf(Secret);
    const textSecret = await docker.secrets.create({ Name: uniqueName("secret"), Labels: labels, Data: "pässwörd ✓" });
    const configText = "listen: 8080\nname: ünïcode ✓\n";
    const config = await docker.configs.create({ Name: uniqueName("config"), Labels: labels, Data: configText });
    expect(config).toBeInstanceOf(Config);

    const secrets = await docker.secrets.list({ filters: { label: [mine] } });
    expect(secrets.map((s) => s.id).sort()).toEqual([secret.id, textSecret.id].sort());
    const sInfo = await secret.inspect();
    expect(sInfo.Spec?.Data).toBeUndefined(); // the engine never gives a secret back
    await secret.reload();
    const secretVersion = secret.version!;
    await secret.update((spec) => ({ ...spec, Labels: { ...spec.Labels, rotated: "no" } }));
    await secret.reload();
    expect(secret.attrs?.Spec?.Labels).toMatchObject({ ...labels, rotated: "no" });
    expect(secret.version!).toBeGreaterThan(secretVersion);
    await expect(secret.update((spec) => ({ ...spec, Name: "renamed" }))).rejects.toThrow(/only updates to Labels are allowed/);
    expect((await docker.secrets.get(secret.name!)).id).toBe(secret.id);

    const configs = await docker.configs.list({ filters: { label: [mine] } });
    expect(configs.map((c) => c.id)).toEqual([config.id]);
    expect(configs[0]!.text()).toBe(configText);
    const got = await docker.configs.get(config.id);
    expect(got.data()).toEqual(new TextEncoder().encode(configText));
    await got.update((spec) => ({ ...spec, Labels: { ...spec.Labels, env: "test" } }));
    expect((await got.inspect()).Spec?.Labels).toMatchObject({ ...labels, env: "test" });
    expect((await got.reload()).text()).toBe(configText);

    // The task sees exactly the bytes and text that were sent.
    const service = await docker.services.create({
      Name: uniqueName("consumer"),
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: IMAGE,
          Labels: labels,
          Command: ["sh", "-c", "sha256sum /run/secrets/bin | cut -d' ' -f1; cat /run/secrets/txt; echo; cat /etc/app.yaml; exec sleep 300"],
          Secrets: [
            { SecretID: secret.id, SecretName: secret.name, File: { Name: "bin", UID: "0", GID: "0", Mode: 0o400 } },
            { SecretID: textSecret.id, SecretName: (await textSecret.reload()).name, File: { Name: "txt", UID: "0", GID: "0", Mode: 0o400 } },
          ],
          Configs: [{ ConfigID: config.id, ConfigName: got.name, File: { Name: "/etc/app.yaml", UID: "0", GID: "0", Mode: 0o444 } }],
        },
        RestartPolicy: { Condition: "none" },
      },
    });
    const output = await eventually("the consumer's output", async () => {
      const out = await (await service.logs()).text();
      return out.includes("name:") ? out : undefined;
    });
    const expectedHash = createHash("sha256").update(binary).digest("hex");
    expect(output).toBe(`${expectedHash}\npässwörd ✓\n${configText}`);

    // In use: neither can go.
    await expect(secret.remove()).rejects.toBeInstanceOf(DockerHttpError);
    await expect(got.remove()).rejects.toBeInstanceOf(DockerHttpError);
    await service.remove();
    await eventually("the secret to be released", async () => ((await secret.remove().then(() => true, () => false)) ? true : undefined));
    await textSecret.remove();
    await eventually("the config to be released", async () => ((await config.remove().then(() => true, () => false)) ? true : undefined));
    await expect(secret.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
    await expect(config.inspect()).rejects.toBeInstanceOf(DockerNotFoundError);
  });

  it("an attachable overlay network takes plain containers", async () => {
    const name = uniqueName("overlay");
    const network = await docker.networks.create({ Name: name, Driver: "overlay", Attachable: true, Labels: labels });
    // The swarm's allocator fills the network in asynchronously: right after create, inspect may
    // still show it without a driver.
    const info = await eventually("the overlay network to be allocated", async () => {
      const got = await network.inspect();
      return got.Driver === "overlay" ? got : undefined;
    });
    expect(info.Attachable).toBe(true);
    expect(info.Scope).toBe("swarm");
    expect(info.Driver).toBe("overlay");
    expect((await docker.networks.list({ filters: { label: [mine], scope: ["swarm"] } })).map((n) => n.id)).toEqual([network.id]);

    const probe = await docker.containers.run(IMAGE, ["sh", "-c", "ip -4 addr show eth0 | grep -c inet"], {
      config: { Labels: labels, HostConfig: { NetworkMode: name } },
    });
    expect(probe.exitCode).toBe(0);
    expect(probe.stdout.trim()).toBe("1");
    await eventually("the overlay network to be removable", async () => ((await network.remove().then(() => true, () => false)) ? true : undefined));
  });

  it("leaves the swarm", async () => {
    await expect(docker.swarm.leave()).rejects.toThrow(/force/); // the last manager must force
    await docker.swarm.leave({ force: true });
    expect(await docker.swarm.state()).toBe("inactive");
    // Idempotent: outside a swarm there is nothing to leave (the engine answers 503 "not part of a swarm").
    await docker.swarm.leave({ force: true });
    await docker.swarm.leave();
    await expect(docker.nodes.list()).rejects.toBeInstanceOf(DockerServerError);
    await expect(docker.swarm.inspect()).rejects.toBeInstanceOf(DockerServerError);
  });
});
