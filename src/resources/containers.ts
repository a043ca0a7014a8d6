// Containers: the collection (`docker.containers`) and the handle (`Container`).

import { bodyOf, collectBytes, onSettled } from "../streams/bytes.ts";
import { readTar } from "../streams/tar-lazy.ts"; // the tar reader loads when a file is read
import type { CallOptions, Client } from "../request/engine.ts";
import { compareVersions } from "../request/version.ts";
import { ContainerExitError, DockerConfigError, DockerError, DockerHttpError, isNotFound } from "../errors/errors.ts";
import type { TransportResponse } from "../transport/transport.ts";
import { Session, webSocketParts } from "../streams/live-session.ts";
import { isMultiplexed } from "../streams/demux.ts";
import { podmanLogReplayRepair } from "../streams/podman-log-replay.ts";
import { splitTopColumns } from "../dialect/podman.ts";
import { JsonStream } from "../streams/json-stream.ts";
import { OutputStream, outputOf } from "../streams/output.ts";
import type { Frame } from "../streams/demux.ts";
import type { Progress, ProgressEvent } from "../streams/progress.ts";
import { archiveBody, type ArchiveInput } from "../streams/archive-body.ts";
import { checkArchiveInput, decodePathStat, type PathStat } from "./archive.ts";
import {
  containerChanges,
  containerCreate,
  containerDelete,
  containerInspect,
  containerKill,
  containerList,
  containerPause,
  containerPrune,
  containerRename,
  containerResize,
  containerRestart,
  containerStart,
  containerStop,
  containerTop,
  containerUnpause,
  containerUpdate,
  containerWait,
  putContainerArchive,
  type ContainerDeleteOptions,
  type ContainerPruneOptions,
  type ContainerRestartOptions,
  type ContainerStartOptions,
  type ContainerStopOptions,
  type ContainerTopOptions,
  type ContainerWaitOptions,
} from "../generated/endpoints/container.ts";
import { imageCommit } from "../generated/endpoints/image.ts";
import { Collection, Handle, checkId, type Routes } from "./handle.ts";
import { parseSize } from "./sizes.ts";
import { withProxyEnv } from "../config/proxies.ts";
import { Exec, ExecSession, asText, checkEncoding, runExec, type ExecOptions, type ExecResult, type ExecRunOptions, type ExecStreamOptions, type OutputEncoding } from "./exec.ts";
import type {
  ContainerChangesResponse,
  ContainerCreateBody,
  ContainerInspectResponse,
  ContainerPruneResponse,
  ContainerState,
  ContainerStatsResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerUpdateBody,
  ContainerUpdateResponse,
  ContainerWaitResponse,
  Filters,
} from "../generated/types.ts";

export interface ContainerCreateOptions extends CallOptions {
  /** Container name (`--name`). */
  name?: string;
  /** Platform of the image, e.g. `linux/amd64`. */
  platform?: string;
  /**
   * Put config.json's `proxies` for this engine into the environment (HTTP_PROXY, http_proxy,
   * ... where `Env` does not set them), as the Docker CLI and docker-py do. Default true.
   */
  useConfigProxy?: boolean;
}

export interface ContainerListOptions extends CallOptions {
  /** Include stopped containers (`docker ps -a`). */
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export interface LogsOptions extends CallOptions {
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  /** Keep streaming until the container stops (or the stream is cancelled). */
  follow?: boolean;
  /**
   * Only lines at or after this time: a Date (sent with its milliseconds), unix seconds, or the
   * engine's `seconds.nanoseconds` text. (The CLI's durations like `10m` are the CLI's, not the engine's.)
   */
  since?: Date | number | string;
  /** Only lines at or before this time, in the same forms as `since`. */
  until?: Date | number | string;
  /** Prefix each line with its RFC 3339 timestamp; `lines()` then parses it. */
  timestamps?: boolean;
  /** Number of lines from the end, or "all". */
  tail?: number | "all";
  /**
   * The container's TTY setting, if known. Otherwise the engine's content type frames the stream
   * from API 1.42 on, and on older engines (which label both kinds raw-stream) berth inspects the container.
   */
  tty?: boolean;
}

export interface AttachOptions extends CallOptions {
  /** Attach stdin (the container must have been created with OpenStdin). */
  stdin?: boolean;
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  /** Replay the container's earlier output first. */
  logs?: boolean;
  /**
   * Default true: stay attached for new output until the container stops. `false` with
   * `logs: true` replays the output so far and ends (on a stopped container too).
   */
  stream?: boolean;
  /** Key sequence that detaches, e.g. "ctrl-p,ctrl-q"; default config.json's `detachKeys`, else the engine's. */
  detachKeys?: string;
  tty?: boolean;
}

export interface RunOptions extends CallOptions {
  /** More create options (HostConfig, Env, ...), merged under Image and Cmd. */
  config?: Omit<ContainerCreateBody, "Image" | "Cmd">;
  name?: string;
  platform?: string;
  /** config.json's `proxies` into the environment (default true), as for `create()`. */
  useConfigProxy?: boolean;
  /** Return the started container at once instead of waiting for it. */
  detach?: boolean;
  /**
   * Remove the container once it has exited and its output was read. Default true unless
   * detached (unlike the CLI and docker-py, which keep it unless `--rm` / `remove=True`): a
   * collected run has given everything it holds. `false` keeps it.
   */
  remove?: boolean;
  /** Pull the image when the engine has none by that name (default true), as the CLI does. */
  pull?: boolean;
  /** Called with the running totals of that implicit pull, as `images.pull()`'s `onProgress`. */
  onPullProgress?: (progress: Progress, event: ProgressEvent) => void;
  /**
   * Resolve at once with the output as it comes (`{ container, output, exitCode }`, `output` as
   * `logs({ follow: true })` gives it) instead of collecting it. The container is removed (unless
   * `remove: false`) once the output has been read to its end or cancelled and it has exited.
   */
  stream?: boolean;
  /** Collected output as `"utf8"` text (the default) or the `"bytes"` as written. */
  encoding?: OutputEncoding;
  /** Environment (`-e`): `{ A: "1" }` or `["A=1"]`; added to `config.Env`. */
  env?: Record<string, string | number | boolean> | string[];
  /**
   * Published ports (`-p`): container port (`"80/tcp"`, `"53/udp"`, `"80"` for tcp) to host port:
   * `8080`, `"8080"`, `"127.0.0.1:8080"`, `{ hostIp, hostPort }`, `null` (a free port), or an array of them.
   */
  ports?: Record<string, RunPortBinding | RunPortBinding[]>;
  /**
   * Bind mounts (`-v`): `["/host:/in/container:ro"]`, or `{ "/host": "/in/container" }`, or
   * `{ "/host": { bind: "/in/container", mode: "ro" } }`; a named volume in place of `/host` works too.
   */
  volumes?: string[] | Record<string, string | { bind: string; mode?: string }>;
  /** Labels (`-l`), merged over `config.Labels`. */
  labels?: Record<string, string>;
  /** `user`, `user:group`, `uid` or `uid:gid` (`-u`). */
  user?: string;
  /** Working directory (`-w`). */
  workdir?: string;
  /** Network to connect to (`--network`): a name, `host`, `none`, ... */
  network?: string;
  /** Restart policy (`--restart`): `"no"`, `"always"`, `"unless-stopped"`, `"on-failure"`, `"on-failure:3"`. */
  restart?: "no" | "always" | "unless-stopped" | "on-failure" | `on-failure:${number}`;
  /** Memory limit (`-m`): bytes, or a size like `"700M"`, `"1.5g"`, `"512k"` (binary units, as the CLI). */
  memory?: number | string;
}

/** A host side of a published port: a port, `"ip:port"`, `{ hostIp, hostPort }`, or null for any free port. */
export type RunPortBinding = number | string | null | { hostIp?: string; hostPort?: number | string };

/** A collected run: text by default, bytes with `{ encoding: "bytes" }` (`RunResult<Uint8Array>`). */
export interface RunResult<Output extends string | Uint8Array = string> {
  container: Container;
  exitCode: number;
  stdout: Output;
  stderr: Output;
}

/** A run with `stream: true`: the started container, its output as it comes, and its exit code. */
export interface RunStream {
  container: Container;
  /** The output, followed until the container exits: iterate it, `lines()`, `collect()`, `cancel()`. */
  output: OutputStream;
  /** The exit code once the container has exited (not a ContainerExitError: the output was yours to read). */
  exitCode: Promise<number>;
}

/**
 * A wait registered now (the engine sends the headers once it has registered it) and answered
 * when the condition is met: read it with `readWait()`.
 */
function waitFor(client: Client, id: string, condition: "next-exit" | "removed", signal: AbortSignal | undefined): Promise<TransportResponse> {
  return client.send({ timeout: 0, signal, method: "POST", path: "/containers/{id}/wait", params: { id }, query: { condition } });
}

type CliOptions = Pick<RunOptions, "env" | "ports" | "volumes" | "labels" | "user" | "workdir" | "network" | "restart" | "memory">;

/** run()'s CLI-like options folded into the create body (over `config`), each checked before any request. */
function cliConfig(config: Omit<ContainerCreateBody, "Image" | "Cmd">, o: CliOptions): Omit<ContainerCreateBody, "Image" | "Cmd"> {
  const out: Omit<ContainerCreateBody, "Image" | "Cmd"> = { ...config };
  const host = { ...config.HostConfig };
  if (o.env !== undefined) {
    const list = Array.isArray(o.env) ? o.env : typeof o.env === "object" && o.env !== null ? Object.entries(o.env).map(([k, v]) => `${k}=${v}`) : undefined;
    if (list === undefined || !list.every((e) => typeof e === "string")) {
      throw new DockerConfigError('run(): env must be an object ({ A: "1" }) or a list of "NAME=value" strings');
    }
    out.Env = [...(config.Env ?? []), ...list];
  }
  if (o.labels !== undefined) out.Labels = { ...config.Labels, ...o.labels };
  if (o.user !== undefined) out.User = o.user;
  if (o.workdir !== undefined) out.WorkingDir = o.workdir;
  if (o.ports !== undefined) {
    const exposed: Record<string, Record<string, never>> = { ...(config.ExposedPorts as Record<string, Record<string, never>> | undefined) };
    const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = { ...(host.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[]> | undefined) };
    for (const [key, value] of Object.entries(o.ports)) {
      const port = /^\d{1,5}(-\d{1,5})?$/.test(key) ? `${key}/tcp` : key;
      if (!/^\d{1,5}(-\d{1,5})?\/(tcp|udp|sctp)$/.test(port)) {
        throw new DockerConfigError(`run(): ports key ${JSON.stringify(key)} is not a container port: expected "80", "80/tcp", "53/udp" or "8000-8010/tcp"`);
      }
      exposed[port] = {};
      bindings[port] = (Array.isArray(value) ? value : [value]).map((b) => portBinding(b, key));
    }
    out.ExposedPorts = exposed;
    host.PortBindings = bindings;
  }
  if (o.volumes !== undefined) {
    const volumes: unknown = o.volumes;
    const binds: unknown[] = Array.isArray(volumes)
      ? volumes
      : typeof volumes === "object" && volumes !== null
        ? Object.entries(volumes).map(([source, target]: [string, unknown]) =>
          typeof target === "string" ? `${source}:${target}`
          : typeof target === "object" && target !== null && typeof (target as { bind?: unknown }).bind === "string"
            ? `${source}:${(target as { bind: string }).bind}${(target as { mode?: string }).mode ? `:${(target as { mode?: string }).mode}` : ""}`
            : undefined)
        : [undefined];
    if (!binds.every((b): b is string => typeof b === "string" && b.includes(":"))) {
      throw new DockerConfigError('run(): volumes must be "source:target[:mode]" strings or { "/host": "/in/container" } / { "/host": { bind, mode } }');
    }
    host.Binds = [...(host.Binds ?? []), ...(binds as string[])];
  }
  if (o.network !== undefined) host.NetworkMode = o.network;
  if (o.restart !== undefined) {
    const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(String(o.restart));
    if (!m || (m[2] !== undefined && m[1] !== "on-failure")) {
      throw new DockerConfigError(`run(): restart must be "no", "always", "unless-stopped", "on-failure" or "on-failure:N", got ${JSON.stringify(o.restart)}`);
    }
    host.RestartPolicy = { Name: m[1] as "no" | "always" | "unless-stopped" | "on-failure", MaximumRetryCount: m[2] === undefined ? undefined : Number(m[2]) };
  }
  if (o.memory !== undefined) host.Memory = parseSize(o.memory, "run(): memory");
  if (config.HostConfig !== undefined || Object.keys(host).length > 0) out.HostConfig = host;
  return out;
}

function portBinding(value: RunPortBinding, key: string): { HostIp?: string; HostPort?: string } {
  const bad = () => new DockerConfigError(`run(): ports[${JSON.stringify(key)}] must be a host port (8080, "8080"), "ip:port", { hostIp, hostPort } or null, got ${JSON.stringify(value)}`);
  if (value === null) return { HostPort: "" };
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw bad();
    return { HostPort: String(value) };
  }
  if (typeof value === "string") {
    // "8080", "127.0.0.1:8080", "[::1]:8080", "127.0.0.1:" (any port on that address)
    const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:]+):)?(\d{0,5}(?:-\d{1,5})?)$/.exec(value);
    if (!m) throw bad();
    return m[1] === undefined ? { HostPort: m[2] } : { HostIp: m[1].replace(/^\[|\]$/g, ""), HostPort: m[2] };
  }
  if (typeof value === "object") {
    return { HostIp: value.hostIp, HostPort: value.hostPort === undefined ? "" : String(value.hostPort) };
  }
  throw bad();
}

function emptyStream<T>(): ReadableStream<T> {
  return new ReadableStream<T>({ start: (controller) => controller.close() });
}

/** A path for readFile()/writeFile(): a non-empty string (relative paths are the engine's: from the root). */
function checkContainerPath(path: unknown, where: string): void {
  checkId(path, where, 'a path in the container such as "/etc/hostname"');
}

/** The answer of a wait whose headers have arrived. */
async function readWait(response: TransportResponse): Promise<ContainerWaitResponse> {
  const answer = JSON.parse(await response.text()) as ContainerWaitResponse;
  if (answer.Error?.Message) throw new DockerError(`Waiting for the container failed: ${answer.Error.Message}`);
  return answer;
}

/** `docker.containers`: list, get by id, name or id prefix, ref, create, run, prune. */
export class ContainerCollection extends Collection<Container, ContainerListOptions> {
  constructor(client: Client) {
    super(client, Container);
  }

  /**
   * A handle for a known id or name, without a request. A leading `/` (as in a summary's
   * `Names`) is dropped: the engine stores names with it but looks them up without.
   */
  override ref(idOrName: string): Container {
    const id = checkId(idOrName, `a ${this.routes().name}`);
    return super.ref(id.startsWith("/") && id.length > 1 ? id.slice(1) : id);
  }

  /**
   * Creates a container (not started). The handle has the id, the engine's warnings, and `attrs`
   * from an inspect right after (so `name`, `attrs.Config` and `attrs.State` are known without
   * `reload()`; docker-py does the same).
   */
  async create(config: ContainerCreateBody, options: ContainerCreateOptions = {}): Promise<Container> {
    const container = await this.#create(config, options);
    await container.reload({ signal: options.signal, timeout: options.timeout });
    return container;
  }

  /** The create request alone: `run()` needs no inspect before it starts the container. */
  async #create(config: ContainerCreateBody, options: ContainerCreateOptions): Promise<Container> {
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new DockerConfigError(
        `containers.create() needs the container's configuration as an object, e.g. create({ Image: "busybox", Cmd: ["echo", "hi"] }); got ${config === null ? "null" : Array.isArray(config) ? "an array" : typeof config}`,
      );
    }
    const { name, platform, useConfigProxy = true, ...call } = options;
    const env = useConfigProxy ? withProxyEnv(config.Env, this.client.proxyVariables()) : config.Env;
    const created = await containerCreate(this.client, env === config.Env ? config : { ...config, Env: env }, { ...call, name, platform });
    const container = new Container(this.client, created.Id);
    container.warnings = created.Warnings ?? [];
    return container;
  }

  /**
   * Like `docker run`: creates the container (pulling the image when the engine has none by that
   * name, if `pull` is supplied by the Docker instance; `onPullProgress` follows that pull),
   * starts it, waits, and returns its output. A non-zero exit rejects with ContainerExitError
   * carrying the exit code and the output. The container is removed afterwards unless `remove:
   * false` (the CLI and docker-py keep it unless asked: `--rm`, `remove=True`). With `detach` it
   * returns the running container instead (kept); with `stream` the output while it runs.
   */
  run(image: string, cmd: string[] | string | undefined, options: RunOptions & { stream: true }): Promise<RunStream>;
  run(image: string, cmd: string[] | string | undefined, options: RunOptions & { stream?: false; encoding: "bytes" }): Promise<RunResult<Uint8Array>>;
  run(image: string, cmd?: string[] | string, options?: RunOptions & { stream?: false; encoding?: "utf8" }): Promise<RunResult>;
  async run(image: string, cmd?: string[] | string, options: RunOptions = {}): Promise<RunResult<string | Uint8Array> | RunStream> {
    checkId(image, "containers.run()", 'an image reference such as "busybox"');
    const { config, name, platform, useConfigProxy, detach, remove = !detach, pull = true, stream, encoding, onPullProgress, env, ports, volumes, labels, user, workdir, network, restart, memory, ...call } = options;
    checkEncoding(encoding, "containers.run()");
    if (stream && (detach || encoding !== undefined)) {
      throw new DockerConfigError(`containers.run(): stream: true gives the output as it comes; it cannot be combined with ${detach ? "detach" : "encoding"} (iterate the frames' bytes, or use logs() on a detached container)`);
    }
    const body: ContainerCreateBody = {
      ...cliConfig(config ?? {}, { env, ports, volumes, labels, user, workdir, network, restart, memory }),
      Image: image,
      Cmd: typeof cmd === "string" ? ["sh", "-c", cmd] : cmd,
    };
    let container: Container;
    try {
      container = await this.#create(body, { ...call, name, platform, useConfigProxy });
    } catch (err) {
      // Only a missing image is pulled, as the CLI does: create first, pull on its "No such image".
      if (!(pull && isNotFound(err) && this.pullImage)) throw err;
      await this.pullImage(image, { ...call, platform, onProgress: onPullProgress });
      container = await this.#create(body, { ...call, name, platform, useConfigProxy });
    }
    const autoRemove = body.HostConfig?.AutoRemove === true;
    // An auto-removed container is gone (its exit code too) as soon as it exits: register the
    // wait before starting it, as the CLI does.
    let removal: TransportResponse | undefined;
    let startSent = false;
    let attached: Session | undefined;
    // A streamed run's container is removed once its output has been read and it has exited.
    let removedLater = false;
    try {
      if (autoRemove && !detach) removal = await waitFor(this.client, container.id, (await this.client.dialect({ signal: call.signal })).autoRemoveWait, call.signal);
      // Attached before the start, as the CLI does, the output is all there however soon the
      // container exits and the engine removes it (following the logs after the start lost it on
      // Podman, and cannot read a `none` or `syslog` log driver). Browsers cannot attach a
      // stream: they follow the logs once started.
      const tty = body.Tty ?? false;
      if (!detach && this.client.transport.connect) attached = await container.attach({ signal: call.signal, tty, stdout: true, stderr: true });
      startSent = true;
      await container.start(call);
      if (detach) {
        // attrs as the engine has them once started (name, State.Running, NetworkSettings...).
        // (An auto-removed container that already exited is gone: no attrs then.)
        await container.reload({ signal: call.signal, timeout: call.timeout }).catch((err: unknown) => {
          if (!(autoRemove && isNotFound(err))) throw err;
        });
        return { container, exitCode: -1, stdout: "", stderr: "" };
      }
      // Browsers follow the logs: from the start on rather than after the wait, when an
      // auto-removed container has no logs left. A log driver that cannot be read back (none,
      // syslog: 501) gives no output there, as docker-py does.
      const logs: Promise<OutputStream | undefined> = attached ? Promise.resolve(attached.output) : container.logs({ signal: call.signal, tty, follow: true }).catch((err: unknown) => {
        // (dockerd: 501 "does not support reading"; Podman: 500 "... cannot read logs".)
        if (err instanceof DockerHttpError && (err.status === 501 || /does not support reading|cannot read logs/i.test(err.reason))) return undefined;
        throw err;
      });
      const waiting = removal;
      removal = undefined; // read from here on: nothing left to cancel
      const exited = (waiting ? readWait(waiting) : container.wait({ signal: call.signal })).then((r) => r.StatusCode);
      if (stream) {
        const followed = await logs.catch(async (err: unknown) => {
          await waiting?.body?.cancel().catch(() => {});
          throw err;
        });
        let settled!: () => void;
        const read = new Promise<void>((resolve) => (settled = resolve));
        const output = new OutputStream(onSettled(followed?.readable ?? emptyStream<Frame>(), settled));
        exited.catch(() => {}); // the caller's to read; the removal below waits for it either way
        if (remove && !autoRemove) {
          removedLater = true;
          void Promise.allSettled([exited, read]).then(() => container.remove({ force: true }).catch(() => {}));
        }
        return { container, output, exitCode: exited };
      }
      type Collected = { stdout: string | Uint8Array; stderr: string | Uint8Array };
      const output = logs.then((l): Collected | Promise<Collected> => {
        if (encoding === "bytes") return l === undefined ? { stdout: new Uint8Array(0), stderr: new Uint8Array(0) } : l.bytes();
        return l === undefined ? { stdout: "", stderr: "" } : l.collect();
      });
      output.catch(() => {}); // awaited below; the wait may fail first
      const StatusCode = await exited;
      const collected = await output;
      if (StatusCode !== 0) {
        const { stdout, stderr } = asText(collected);
        throw new ContainerExitError(container.id, StatusCode, stderr || (tty ? stdout : ""), { command: cmd, image, stdout });
      }
      return { container, exitCode: StatusCode, ...collected };
    } catch (err) {
      // A wait registered but not read (the start failed): let its connection go.
      if (removal) await removal.body?.cancel().catch(() => {});
      attached?.close();
      throw err;
    } finally {
      // The engine removes an auto-removed container once started (also when the start fails);
      // one that never got there (the wait could not be registered) is berth's to remove.
      // Removing it while the engine does (a start that failed) raced Podman's own removal and left its
      // storage inconsistent ("layer not known"), so that later builds hung.
      if (remove && !removedLater && (!autoRemove || !startSent)) await container.remove({ force: true }).catch(() => {});
    }
  }

  /** @internal Set by Docker: pulls an image for `run()`. */
  pullImage: ((image: string, options: CallOptions & { platform?: string; onProgress?: RunOptions["onPullProgress"] }) => Promise<unknown>) | undefined;

  /** Removes stopped containers; returns what was deleted and the space reclaimed. */
  prune(options: ContainerPruneOptions = {}): Promise<ContainerPruneResponse> {
    return containerPrune(this.client, options);
  }
}

/** A container. `attrs` holds what the engine last said about it (summary or inspect). */
export class Container extends Handle<ContainerSummary | ContainerInspectResponse, ContainerInspectResponse, CallOptions & { size?: boolean }> {
  /** @internal */
  protected static override readonly routes: Routes = { name: "container", list: containerList, inspect: containerInspect, id: ["Id"] };

  /** Warnings the engine gave when creating the container. */
  warnings: string[] = [];

  /** The container's name without the leading slash, if known. */
  get name(): string | undefined {
    const a = this.attrs as { Name?: string; Names?: string[] } | undefined;
    const raw = a?.Name ?? a?.Names?.[0];
    return raw?.replace(/^\//, "");
  }

  /** The first 12 characters of the id, as `docker ps` shows it (of the name, for a handle made from one and not reloaded). */
  get shortId(): string {
    return this.id.slice(0, 12);
  }

  /** `created`, `running`, `paused`, `exited`, ... as last seen (from a list or an inspect). */
  get status(): ContainerState["Status"] | undefined {
    const state = this.attrs?.State;
    return typeof state === "string" ? state : state?.Status;
  }

  /** The image as the container was created with it (`busybox`, not the digest), as last seen. */
  get image(): string | undefined {
    const a = this.attrs;
    return a && "Config" in a ? a.Config?.Image : (a as ContainerSummary | undefined)?.Image;
  }

  /** The container's labels as last seen (empty when unknown). */
  get labels(): Record<string, string> {
    const a = this.attrs;
    return (a && "Config" in a ? a.Config?.Labels : (a as ContainerSummary | undefined)?.Labels) ?? {};
  }

  /**
   * Published ports as last seen: container port (`"80/tcp"`) to the host addresses it is
   * published on (`[{ hostIp: "0.0.0.0", hostPort: 8080 }]`; empty when exposed only).
   */
  get ports(): Record<string, { hostIp: string; hostPort: number }[]> {
    const a = this.attrs;
    const out: Record<string, { hostIp: string; hostPort: number }[]> = {};
    if (a && "NetworkSettings" in a && a.NetworkSettings && "Ports" in a.NetworkSettings) {
      for (const [port, bindings] of Object.entries((a as ContainerInspectResponse).NetworkSettings?.Ports ?? {})) {
        out[port] = (bindings ?? []).map((b) => ({ hostIp: b.HostIp ?? "", hostPort: Number(b.HostPort) }));
      }
      return out;
    }
    for (const p of (a as ContainerSummary | undefined)?.Ports ?? []) {
      const list = (out[`${p.PrivatePort}/${p.Type}`] ??= []);
      if (p.PublicPort !== undefined) list.push({ hostIp: p.IP ?? "", hostPort: p.PublicPort });
    }
    return out;
  }

  /**
   * The healthcheck's verdict as last seen: `starting`, `healthy` or `unhealthy`; undefined
   * without a healthcheck (or before attrs). A list item says it only in its `Status` text.
   */
  get health(): "starting" | "healthy" | "unhealthy" | undefined {
    const state = this.attrs?.State;
    if (state !== undefined && state !== null && typeof state === "object") {
      const status = state.Health?.Status;
      return status === "starting" || status === "healthy" || status === "unhealthy" ? status : undefined;
    }
    const summary = this.attrs as ContainerSummary | undefined;
    const listed = summary?.Health?.Status; // newer engines list it
    if (listed === "starting" || listed === "healthy" || listed === "unhealthy") return listed;
    const text = summary?.Status ?? "";
    return /\(health: starting\)/.test(text) ? "starting" : /\(unhealthy\)/.test(text) ? "unhealthy" : /\(healthy\)/.test(text) ? "healthy" : undefined;
  }

  /** Starts the container. Starting a running container is not an error (the engine answers 304). */
  start(options: ContainerStartOptions = {}): Promise<void> {
    return containerStart(this.client, this.id, options);
  }

  /**
   * Stops the container: its stop signal (or `stopSignal`, API 1.42+), then SIGKILL after `t`
   * seconds (default: the container's StopTimeout, else 10). (`signal` is the AbortSignal.)
   */
  stop(options: ContainerStopOptions = {}): Promise<void> {
    return containerStop(this.client, this.id, this.#withGrace(options));
  }

  restart(options: ContainerRestartOptions = {}): Promise<void> {
    return containerRestart(this.client, this.id, this.#withGrace(options));
  }

  /** Sends a unix signal, by name or number (default SIGKILL): `kill("SIGHUP")`. */
  kill(unixSignal?: string | number, options: CallOptions = {}): Promise<void> {
    return containerKill(this.client, this.id, { ...options, unixSignal: unixSignal === undefined ? undefined : String(unixSignal) });
  }

  pause(options: CallOptions = {}): Promise<void> {
    return containerPause(this.client, this.id, options);
  }

  unpause(options: CallOptions = {}): Promise<void> {
    return containerUnpause(this.client, this.id, options);
  }

  rename(name: string, options: CallOptions = {}): Promise<void> {
    return containerRename(this.client, this.id, { ...options, name });
  }

  /** Changes resource limits and restart policy of a live container. */
  update(config: ContainerUpdateBody, options: CallOptions = {}): Promise<ContainerUpdateResponse> {
    return containerUpdate(this.client, this.id, config, options);
  }

  /** Processes running in the container (`docker top`). */
  async top(options: ContainerTopOptions = {}): Promise<ContainerTopResponse> {
    return splitTopColumns(await containerTop(this.client, this.id, options)); // Podman may send whole lines
  }

  /** Filesystem changes since the container was created (`docker diff`). */
  async changes(options: CallOptions = {}): Promise<ContainerChangesResponse> {
    const result: ContainerChangesResponse | null = await containerChanges(this.client, this.id, options);
    return result ?? ([] as unknown as ContainerChangesResponse);
  }

  /**
   * Waits until the container stops (or the condition is met) and returns its exit code.
   * No timeout by default: a container may run for hours. Pass `signal` to give up.
   */
  wait(options: ContainerWaitOptions = {}): Promise<ContainerWaitResponse> {
    return containerWait(this.client, this.id, { timeout: 0, ...options });
  }

  /** Removes the container. `force` kills it first; `v` removes its anonymous volumes. */
  remove(options: ContainerDeleteOptions = {}): Promise<void> {
    return containerDelete(this.client, this.id, options);
  }

  /**
   * Creates an image from the container's changes (`docker commit`). `changes` are Dockerfile
   * instructions applied to the image config, e.g. `["ENV A=1", "CMD [\"sh\"]"]`.
   */
  async commit(options: CallOptions & { repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[]; config?: ContainerCreateBody } = {}): Promise<{ Id: string }> {
    const { repo, tag, comment, author, pause, changes, config, ...call } = options;
    return imageCommit(this.client, config ?? {}, { ...call, container: this.id, repo, tag, comment, author, pause, changes: changes?.join("\n") });
  }

  /** Resizes the container's TTY. */
  resize(size: { h: number; w: number }, options: CallOptions = {}): Promise<void> {
    return containerResize(this.client, this.id, { ...options, h: size.h, w: size.w });
  }

  /** The TTY setting, from attrs or an inspect: it decides how output streams are framed. */
  async #tty(known: boolean | undefined, options: CallOptions): Promise<boolean> {
    if (known !== undefined) return known;
    const config = (this.attrs as ContainerInspectResponse | undefined)?.Config;
    if (config && typeof config.Tty === "boolean") return config.Tty;
    await this.reload({ signal: options.signal, timeout: options.timeout });
    return (this.attrs as ContainerInspectResponse).Config?.Tty ?? false;
  }

  /**
   * Whether the engine labels log bodies truthfully: from API 1.42 on dockerd sends
   * `application/vnd.docker.multiplexed-stream` or `raw-stream` by the container's TTY (1.41 and
   * older label both `raw-stream`). Podman's compatibility service is not trusted to.
   */
  async #framedByContentType(options: CallOptions): Promise<boolean> {
    const version = this.client.version ?? (await this.client.apiVersion());
    if (compareVersions(version, "1.42") < 0) return false;
    return (await this.client.dialect(options)).labelsLogFraming;
  }

  /**
   * The container's logs as an async iterable of `{ stream, data }` frames, with `collect()`,
   * `text()` and `lines()` helpers. With `follow`, it runs until the container stops or the
   * stream is cancelled (`break`, `cancel()`, or the signal).
   */
  async logs(options: LogsOptions = {}): Promise<OutputStream> {
    const { stdout = true, stderr = true, follow, since, until, timestamps, tail, tty, ...call } = options;
    const send = () =>
      this.client.send({
        ...call,
        method: "GET",
        path: "/containers/{id}/logs",
        params: { id: this.id },
        query: { stdout, stderr, follow, since, until, timestamps, tail },
        stream: follow === true,
      });
    if (tty === undefined && (this.attrs as ContainerInspectResponse | undefined)?.Config?.Tty === undefined && (await this.#framedByContentType(call))) {
      // From API 1.42 the content type tells multiplexed from raw: no inspect, which for many
      // followed logs (a dashboard's tail of every container) is a request and a kept JSON apiece.
      return outputOf(await send(), undefined, { timestamps });
    }
    const [isTty, response] = await Promise.all([this.#tty(tty, call), send()]);
    return outputOf(response, isTty, { timestamps });
  }

  /**
   * Attaches to the container's stdio. The returned session's output carries what the container
   * writes; with `stdin: true`, `write()` reaches its stdin (and only what you write does), and
   * `closeStdin()` sends EOF while output keeps flowing. Attach before `start()` to see the first line.
   */
  async attach(options: AttachOptions = {}): Promise<Session> {
    const { stdin, stdout = true, stderr = true, logs, stream = true, detachKeys = this.client.dockerConfig()?.detachKeys, tty, ...call } = options;
    const isTty = await this.#tty(tty, call);
    const query = { stream, stdin, stdout, stderr, logs, detachKeys };
    const resize = (size: { h: number; w: number }) => this.resize(size);
    if (!this.client.transport.connect && this.client.transport.webSocket) {
      // Browsers: the engine's WebSocket endpoint. (The v1.41 spec omits its stdin/stdout/stderr
      // parameters, but engines of that version honour them: skip the version check.)
      const ws = await this.client.openWebSocket({ ...call, method: "GET", path: "/containers/{id}/attach/ws", params: { id: this.id }, query, skipVersionCheck: true });
      const parts = await webSocketParts(ws, this.client.transport.address);
      return new Session({ ...parts, writable: stdin ? parts.writable : undefined, resize });
    }
    // (Podman's replayed log lines carry their newline outside the frame.)
    const replayRepair = logs === true && (await this.client.dialect(call)).repairsAttachLogReplay;
    const conn = await this.client.hijack({ ...call, method: "POST", path: "/containers/{id}/attach", params: { id: this.id }, query });
    const multiplexed = isMultiplexed(conn.headers.get("content-type") ?? null, isTty);
    const repair = replayRepair && multiplexed;
    return new Session({
      readable: repair ? conn.readable.pipeThrough(podmanLogReplayRepair()) : conn.readable,
      writable: stdin ? conn.writable : undefined,
      close: conn.close,
      multiplexed,
      resize,
    });
  }

  /**
   * Runs a command and collects its output: `{ exitCode, stdout, stderr }`, as text, or as the
   * bytes written with `{ encoding: "bytes" }`. A string command runs under `sh -c`. `stdin`
   * data is written and then closed. A process the engine could not start
   * (no such binary or user) rejects with ExecStartError. With `detach: true` the command is
   * started in the background and the `Exec` is returned at once (`inspect()` for its state and
   * exit code; its output is not kept).
   */
  exec(cmd: string[] | string, options: ExecOptions & { detach: true }): Promise<Exec>;
  exec(cmd: string[] | string, options: ExecRunOptions & { detach?: false; encoding: "bytes" }): Promise<ExecResult<Uint8Array>>;
  exec(cmd: string[] | string, options?: ExecRunOptions & { detach?: false; encoding?: "utf8" }): Promise<ExecResult>;
  async exec(cmd: string[] | string, options: (ExecRunOptions & { detach?: boolean }) = {}): Promise<ExecResult<string | Uint8Array> | Exec> {
    const { detach, ...rest } = options;
    if (!detach) return runExec(this.client, this.id, cmd, rest);
    const { stdin, encoding, ...execOptions } = rest;
    if (encoding !== undefined) throw new DockerConfigError("exec(cmd, { detach: true }) collects no output: drop encoding, or run it without detach");
    if (stdin !== undefined) {
      throw new DockerConfigError("exec(cmd, { detach: true }) cannot take stdin: nothing is attached to a detached exec; use execStream(cmd, { stdin: true })");
    }
    const exec = await Exec.create(this.client, this.id, cmd, execOptions);
    await this.client.void({
      signal: rest.signal,
      timeout: rest.timeout,
      method: "POST",
      path: "/exec/{id}/start",
      params: { id: exec.id },
      body: { Detach: true, Tty: exec.tty },
    });
    return exec;
  }

  /**
   * Runs a command and streams it: iterate the session for output; with `stdin: true`, write to
   * it and `closeStdin()`; `wait()` gives the exit code.
   */
  async execStream(cmd: string[] | string, options: ExecStreamOptions = {}): Promise<ExecSession> {
    const { stdin, ...rest } = options;
    const exec = await Exec.create(this.client, this.id, cmd, { ...rest, stdin });
    return exec.start({ signal: rest.signal, timeout: rest.timeout, stdin });
  }

  /** Creates an exec without starting it (for `exec.start()`, `inspect()`, `resize()`). */
  createExec(cmd: string[] | string, options: ExecOptions & { stdin?: boolean } = {}): Promise<Exec> {
    return Exec.create(this.client, this.id, cmd, options);
  }

  /** One resource-usage sample (`docker stats --no-stream`). */
  stats(options: CallOptions & { oneShot?: boolean } = {}): Promise<ContainerStatsResponse> {
    const { oneShot, ...call } = options;
    return this.client.json({ ...call, method: "GET", path: "/containers/{id}/stats", params: { id: this.id }, query: { stream: false, "one-shot": oneShot } });
  }

  /** Resource-usage samples, one a second, until cancelled or the container is removed. */
  async statsStream(options: CallOptions = {}): Promise<JsonStream<ContainerStatsResponse>> {
    const response = await this.client.send({ ...options, method: "GET", path: "/containers/{id}/stats", params: { id: this.id }, query: { stream: true }, stream: true });
    return new JsonStream<ContainerStatsResponse>(bodyOf(response), { errorOnInBandError: false });
  }

  /** Stat of a path in the container (`HEAD .../archive`); rejects with DockerNotFoundError when missing. */
  async archiveInfo(path: string, options: CallOptions = {}): Promise<PathStat> {
    const response = await this.client.send({ ...options, method: "HEAD", path: "/containers/{id}/archive", params: { id: this.id }, query: { path } });
    await response.text().catch(() => {});
    return decodePathStat(response.headers.get("x-docker-container-path-stat"));
  }

  /**
   * A tar stream of a path in the container (`docker cp` out), with the path's stat. `stat` is
   * absent when the reply hides the `X-Docker-Container-Path-Stat` header: a browser sees it only
   * if the engine's CORS reply exposes it, which dockerd's does not. The tar is the same.
   */
  async getArchive(path: string, options: CallOptions = {}): Promise<{ stat?: PathStat; body: ReadableStream<Uint8Array> }> {
    const response = await this.client.send({ ...options, method: "GET", path: "/containers/{id}/archive", params: { id: this.id }, query: { path } });
    const header = response.headers.get("x-docker-container-path-stat");
    const body = bodyOf(response);
    return header === null ? { body } : { stat: decodePathStat(header), body };
  }

  /**
   * Extracts a tar into a directory of the container (`docker cp` in). `archive` is a tar stream,
   * bytes, a Blob, or entries that berth packs on the fly.
   */
  async putArchive(
    path: string,
    archive: ArchiveInput,
    options: CallOptions & { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {},
  ): Promise<void> {
    checkArchiveInput(archive, "putArchive()", true);
    const { noOverwriteDirNonDir, copyUIDGID, ...call } = options;
    const body = await archiveBody(archive);
    // The spec types these as strings; the engine reads `1`/`0` (what the query encoding makes of a boolean).
    const flag = (on: boolean | undefined) => (on === undefined ? undefined : on ? "1" : "0");
    return putContainerArchive(this.client, this.id, body, { ...call, path, noOverwriteDirNonDir: flag(noOverwriteDirNonDir), copyUIDGID: flag(copyUIDGID) });
  }

  /**
   * The contents of one file in the container (`docker cp` of a file, without the tar), as bytes,
   * or as text with `{ encoding: "utf8" }`. A symlink is followed. A missing path rejects with
   * DockerNotFoundError; a directory with DockerConfigError (use `getArchive()` for a tree).
   */
  readFile(path: string, options: CallOptions & { encoding: "utf8" }): Promise<string>;
  readFile(path: string, options?: CallOptions & { encoding?: undefined }): Promise<Uint8Array>;
  async readFile(path: string, options: CallOptions & { encoding?: "utf8" } = {}): Promise<Uint8Array | string> {
    const { encoding, ...call } = options;
    checkContainerPath(path, "readFile()");
    let at = path;
    for (let hops = 0; hops <= 16; hops++) {
      const { stat, body } = await this.getArchive(at, call);
      let entry: { type: string; linkname: string; data: Uint8Array } | undefined;
      for await (const e of readTar(body)) {
        // The first entry is the path itself; a directory's contents follow it. The rest is read to
        // the end, not cancelled: Podman's archive copier, cut off mid-way, kept the container's
        // storage locked, and a later build waited for it forever.
        if (entry === undefined) entry = { type: e.type, linkname: e.linkname, data: e.type === "file" ? await collectBytes(e.body) : new Uint8Array(0) };
      }
      if (entry === undefined || entry.type === "directory" || stat?.isDirectory) {
        throw new DockerConfigError(`readFile(): ${JSON.stringify(path)} is a directory in container ${this.id.slice(0, 12)}, not a file: use getArchive() for a directory`);
      }
      if (entry.type === "symlink") {
        // The engine's stat resolves the link inside the container; without it (browsers), join.
        at = stat?.linkTarget || (entry.linkname.startsWith("/") ? entry.linkname : `${at.slice(0, at.lastIndexOf("/") + 1)}${entry.linkname}`);
        continue;
      }
      if (entry.type !== "file") {
        throw new DockerConfigError(`readFile(): ${JSON.stringify(path)} in container ${this.id.slice(0, 12)} is not a regular file (a ${entry.type} entry)`);
      }
      return encoding === "utf8" ? new TextDecoder().decode(entry.data) : entry.data;
    }
    throw new DockerConfigError(`readFile(): ${JSON.stringify(path)} in container ${this.id.slice(0, 12)} is a chain of more than 16 symlinks`);
  }

  /**
   * Writes one file into the container (`docker cp` of a file): `data` as UTF-8 text or bytes,
   * `mode` default 0o644, owned by `uid`/`gid` (default 0). The directory must exist; an existing
   * file is replaced.
   */
  async writeFile(path: string, data: string | Uint8Array, options: CallOptions & { mode?: number; uid?: number; gid?: number } = {}): Promise<void> {
    const { mode = 0o644, uid, gid, ...call } = options;
    checkContainerPath(path, "writeFile()");
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new DockerConfigError(`writeFile() needs the file's data as a string or a Uint8Array, got ${data === null ? "null" : typeof data}`);
    }
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new DockerConfigError(`writeFile(): mode must be permission bits such as 0o644 or 0o755, got ${String(mode)}`);
    }
    const slash = path.lastIndexOf("/");
    const name = path.slice(slash + 1);
    if (name === "" || name === "." || name === "..") {
      throw new DockerConfigError(`writeFile() needs a path that names a file, such as "/etc/app.conf", got ${JSON.stringify(path)}`);
    }
    const dir = slash <= 0 ? "/" : path.slice(0, slash);
    await this.putArchive(dir, [{ name, data, mode, uid, gid }], call);
  }

  /** The container's filesystem as a tar stream (`docker export`). */
  async export(options: CallOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.client.send({ ...options, method: "GET", path: "/containers/{id}/export", params: { id: this.id } });
    return bodyOf(response);
  }

  /** stop/restart may legitimately take the grace period `t` before answering: the timeout is extended by it. */
  #withGrace<O extends CallOptions & { t?: number }>(options: O): O {
    const { t } = options;
    if (t === undefined || options.timeout !== undefined || !(this.client.timeout > 0)) return options;
    return { ...options, timeout: this.client.timeout + t * 1000 };
  }
}


