// What every engine scenario gets: the runtime's Docker, the assertions, labels that mark what the
// scenario creates, and a cleanup that removes exactly that. Runtime-neutral: no test framework and
// no runtime API here; each runner (vitest, bun test, deno test) builds a context and calls the
// scenarios.

import type { Container } from "../../src/resources/containers.ts";
import type { Docker } from "../../src/docker.ts";
import type { ContextStore } from "../../src/server/config/contexts.ts";
import type { ContainerCreateBody } from "../../src/generated/types.ts";
import type { ContextFileSystem } from "../../src/server/build/context.ts";
import { DockerUnsupportedError } from "../../src/errors/errors.ts";
import { assert, type Assert } from "./assert.ts";

export const TEST_IMAGE = "berth-test:busybox";
export const DEFAULT_REGISTRY = "127.0.0.1:5000";

/** What tempDir writes at a path: a file's text or bytes, a symlink to `symlink`, or an empty directory. */
export type TempEntry = string | Uint8Array | { symlink: string } | { directory: true };

/** Thrown by a scenario that cannot run here; runners report it as skipped. */
export class ScenarioSkip extends Error {
  override name = "ScenarioSkip";
}

export interface ScenarioContext {
  docker: Docker;
  assert: Assert;
  /** `node`, `bun` or `deno`. */
  runtime: string;
  /** Unique to this run of the suite; part of every name and label the scenarios create. */
  run: string;
  /** `berth.test=1` and `berth.test.run=<run>`. */
  labels: Record<string, string>;
  image: string;
  /** A registry at host:port the engine can push to and pull from (BERTH_TEST_REGISTRY, else 127.0.0.1:5000). */
  registry: string;
  /** True under CI: a scenario that cannot run then fails instead of skipping. */
  ci: boolean;
  /** The runtime's own Docker class, for connections the scenario chooses (a missing socket...). */
  connect(options: { host?: string; socketPath?: string; version?: string; tls?: { ca?: string; cert?: string; key?: string }; fileSystem?: ContextFileSystem }): Docker;
  /** The runtime's `Docker.fromEnv` given these variables instead of the process environment. */
  fromEnv(env: Record<string, string | undefined>): Docker;
  /** The runtime's `Docker.contexts` given these variables (a DOCKER_CONFIG of the scenario's own). */
  contexts(env: Record<string, string | undefined>): ContextStore;
  /** Reads an environment variable of the process. */
  env(name: string): string | undefined;
  /** The process's working directory, where a relative path given to berth starts. */
  cwd: string;
  /** Writes files (path → text, bytes, a symlink or an empty directory) under a fresh temporary directory, removed after the suite. */
  tempDir(files: Record<string, TempEntry>): Promise<string>;
  /** A name unique to this run. */
  name(prefix?: string): string;
  /** Creates a labelled container from the test image. */
  container(config?: Partial<ContainerCreateBody>, name?: string): Promise<Container>;
  /** Registers work for cleanup (image tags, ...), run in reverse order after the suite. */
  defer(fn: () => Promise<unknown>): void;
  /** Skips (or, under CI, fails) the scenario. */
  skip(reason: string): never;
  /**
   * Starts a fake engine on a fresh unix socket and a loopback TCP port, each connection handed to
   * `onConnection` as raw bytes; closed after the suite. Skips where the runner gives no listener.
   */
  listen(onConnection: (conn: RawConnection) => void): Promise<RawServer>;
  /** A loopback TCP door to the engine (adapters/node-proxy.ts), as `tcp://127.0.0.1:<port>`; closed after the suite. */
  tcpEngine(): Promise<string>;
  /**
   * Starts a real ssh-agent holding one fresh key with this comment; stopped after the suite.
   * Skips where the runner gives none.
   */
  sshAgent(comment: string): Promise<SshAgent>;
}

/** A running ssh-agent (OpenSSH) with one key, and an ssh client to put in a test image. */
export interface SshAgent {
  socketPath: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
  /** `SHA256:…`, as `ssh-add -l` lists it. */
  fingerprint: string;
  /** The key's file as it was before it was deleted: only to assert it appears nowhere. */
  privateKey: string;
  /** ssh-add, ssh-keygen and their libraries, as build context entries under `rootfs/`. */
  client: Array<{ name: string; data: Uint8Array; mode: number }>;
  close(): Promise<void>;
}

/** One connection to a scenario's fake engine. */
export interface RawConnection {
  onData(fn: (chunk: Uint8Array) => void): void;
  write(data: string | Uint8Array): void;
  /** Sends FIN once the written bytes are out. */
  end(): void;
  destroy(): void;
}

export interface RawServer {
  socketPath: string;
  port: number;
  /** Stops accepting (the socket file goes away): the engine is now "dead" to new connections. */
  stopListening(): Promise<void>;
  /** Stops accepting and drops every open connection. */
  close(): Promise<void>;
}

export interface Scenario {
  name: string;
  /** Milliseconds; default 60 s. */
  timeout?: number;
  run(ctx: ScenarioContext): Promise<void>;
}

export interface ContextInit {
  docker: Docker;
  runtime: string;
  connect: ScenarioContext["connect"];
  fromEnv: ScenarioContext["fromEnv"];
  contexts: ScenarioContext["contexts"];
  /** Reads an environment variable (CI, BERTH_TEST_REGISTRY). */
  env(name: string): string | undefined;
  cwd: string;
  /** Makes a temporary directory holding `files`; returns its path and how to remove it. */
  tempDir(files: Record<string, TempEntry>): Promise<{ path: string; remove(): Promise<void> }>;
  /** Starts a raw listener (see ScenarioContext.listen); scenarios needing one skip without it. */
  listen?(onConnection: (conn: RawConnection) => void): Promise<RawServer>;
  /** Starts a loopback proxy to the engine (see ScenarioContext.tcpEngine). */
  engineProxy(): Promise<{ port: number; close(): Promise<void> }>;
  /** Starts an ssh-agent (see ScenarioContext.sshAgent); the scenario needing one skips without it. */
  sshAgent?(comment: string): Promise<SshAgent>;
}

export function createContext(init: ContextInit): ScenarioContext & { cleanup(): Promise<void> } {
  // BERTH_TEST_RUN_PREFIX marks one line of work's runs (`berth.test.run=<prefix>-node-...`).
  const prefix = init.env("BERTH_TEST_RUN_PREFIX");
  const run = `${prefix ? `${prefix}-` : ""}${init.runtime}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const labels = { "berth.test": "1", "berth.test.run": run };
  const deferred: Array<() => Promise<unknown>> = [];
  const ci = Boolean(init.env("CI")) && init.env("CI") !== "false" && init.env("CI") !== "0";
  const docker = init.docker;
  function skip(reason: string): never {
    if (ci) throw new Error(`Cannot run under CI: ${reason}`);
    throw new ScenarioSkip(reason);
  }
  return {
    docker,
    assert,
    runtime: init.runtime,
    run,
    labels,
    image: TEST_IMAGE,
    registry: init.env("BERTH_TEST_REGISTRY") || DEFAULT_REGISTRY,
    ci,
    connect: init.connect,
    fromEnv: init.fromEnv,
    contexts: init.contexts,
    env: init.env,
    cwd: init.cwd,
    async tempDir(files) {
      const dir = await init.tempDir(files);
      deferred.push(() => dir.remove());
      return dir.path;
    },
    name: (prefix = "berth") => `${prefix}-${run}-${Math.random().toString(36).slice(2, 7)}`,
    container: (config = {}, name) =>
      docker.containers.create({ Image: TEST_IMAGE, ...config, Labels: { ...labels, ...config.Labels } }, { name }),
    defer: (fn) => void deferred.push(fn),
    skip,
    async listen(onConnection) {
      if (!init.listen) skip("this runner gives the scenarios no listener for fake engines");
      const server = await init.listen(onConnection);
      deferred.push(() => server.close());
      return server;
    },
    async tcpEngine() {
      const proxy = await init.engineProxy();
      deferred.push(() => proxy.close());
      return `tcp://127.0.0.1:${proxy.port}`;
    },
    async sshAgent(comment) {
      if (!init.sshAgent) skip("this runner gives the scenarios no ssh-agent");
      const agent = await init.sshAgent(comment);
      deferred.push(() => agent.close());
      return agent;
    },
    async cleanup() {
      for (const fn of deferred.reverse()) await fn().catch(() => {});
      await removeLabelled(docker, run);
      await docker.close();
    },
  };
}

/**
 * Removes what carries the label `berth.test.run=<run>`: containers (with their anonymous
 * volumes), images, networks, volumes. Listed and removed one by one, not pruned: from API 1.42 on,
 * a volume prune spares named volumes (unless `all`), and what a test built is an image no prune of
 * containers reaches.
 */
export async function removeLabelled(docker: Docker, run: string): Promise<void> {
  const filters = { label: [`berth.test.run=${run}`] };
  for (const c of await docker.containers.list({ all: true, filters }).catch(() => [])) {
    await c.remove({ force: true, v: true }).catch(() => {});
  }
  for (const image of await docker.images.list({ filters }).catch(() => [])) {
    await image.remove({ force: true }).catch(() => {});
  }
  for (const network of await docker.networks.list({ filters }).catch(() => [])) {
    await network.remove().catch(() => {});
  }
  for (const volume of await docker.volumes.list({ filters }).catch(() => [])) {
    await volume.remove({ force: true }).catch(() => {});
  }
}

/**
 * For what Podman lacks: on Podman, asserts that `attempt` is refused with DockerUnsupportedError
 * (its message matching `why`, when given) and answers true, as the scenario has nothing more to
 * check there; on Docker Engine, answers false.
 */
export async function refusedOnPodman(ctx: ScenarioContext, attempt: () => Promise<unknown>, why?: RegExp): Promise<boolean> {
  if (!(await ctx.docker.isPodman())) return false;
  const err = await ctx.assert.rejects(attempt(), DockerUnsupportedError, "refused on Podman");
  if (why) ctx.assert.match(err.message, why);
  return true;
}
