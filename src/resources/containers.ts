// Containers: the collection (`docker.containers`) and the handle (`Container`).

import type { CallOptions, Client } from "../client.ts";
import type {
  ContainerChangesResponse,
  ContainerCreateBody,
  ContainerInspectResponse,
  ContainerListQuery,
  ContainerPruneResponse,
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
}

export interface ContainerListOptions extends CallOptions {
  /** Include stopped containers (`docker ps -a`). */
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export class ContainerCollection {
  readonly #client: Client;
  constructor(client: Client) {
    this.#client = client;
  }

  /** One request for the whole list; each item is a handle holding its summary. */
  async list(options: ContainerListOptions = {}): Promise<Container[]> {
    const { all, limit, size, filters, ...call } = options;
    const query: ContainerListQuery = { all, limit, size, filters };
    const items = await this.#client.json<ContainerSummary[]>({ ...call, method: "GET", path: "/containers/json", query: query as Record<string, unknown> });
    return items.map((summary) => new Container(this.#client, summary.Id!, summary));
  }

  /** Inspects a container by id, name or id prefix; rejects with DockerNotFoundError when none. */
  async get(idOrName: string, options: CallOptions = {}): Promise<Container> {
    const info = await inspect(this.#client, idOrName, options);
    return new Container(this.#client, info.Id!, info);
  }

  /** A handle for a known id or name, without a request. */
  ref(idOrName: string): Container {
    return new Container(this.#client, idOrName);
  }

  /** Creates a container (not started). The handle has the id and the engine's warnings. */
  async create(config: ContainerCreateBody, options: ContainerCreateOptions = {}): Promise<Container> {
    const { name, platform, ...call } = options;
    const created = await this.#client.json<{ Id: string; Warnings?: string[] }>({
      ...call,
      method: "POST",
      path: "/containers/create",
      query: { name, platform },
      body: config,
    });
    const container = new Container(this.#client, created.Id);
    container.warnings = created.Warnings ?? [];
    return container;
  }

  /** Removes stopped containers; returns what was deleted and the space reclaimed. */
  prune(options: CallOptions & { filters?: Filters } = {}): Promise<ContainerPruneResponse> {
    const { filters, ...call } = options;
    return this.#client.json({ ...call, method: "POST", path: "/containers/prune", query: { filters } });
  }
}

/** A container. `attrs` holds what the engine last said about it (summary or inspect). */
export class Container {
  readonly #client: Client;
  /** Full id (or the name/prefix the handle was made from, until `reload()`). */
  id: string;
  /** Last known state: a list summary or an inspect result. */
  attrs: ContainerSummary | ContainerInspectResponse | undefined;
  /** Warnings the engine gave when creating the container. */
  warnings: string[] = [];

  constructor(client: Client, id: string, attrs?: ContainerSummary | ContainerInspectResponse) {
    this.#client = client;
    this.id = id;
    this.attrs = attrs;
  }

  /** @internal */
  get client(): Client {
    return this.#client;
  }

  /** The container's name without the leading slash, if known. */
  get name(): string | undefined {
    const a = this.attrs as { Name?: string; Names?: string[] } | undefined;
    const raw = a?.Name ?? a?.Names?.[0];
    return raw?.replace(/^\//, "");
  }

  /** Inspects the container (`docker inspect`). */
  inspect(options: CallOptions & { size?: boolean } = {}): Promise<ContainerInspectResponse> {
    return inspect(this.#client, this.id, options);
  }

  /** Refreshes `attrs` (and `id`) from the engine. */
  async reload(options: CallOptions = {}): Promise<this> {
    const info = await this.inspect(options);
    this.attrs = info;
    this.id = info.Id ?? this.id;
    return this;
  }

  /** Starts the container. Starting a running container is not an error (the engine answers 304). */
  start(options: CallOptions & { detachKeys?: string } = {}): Promise<void> {
    const { detachKeys, ...call } = options;
    return this.#post("/containers/{id}/start", call, { detachKeys });
  }

  /**
   * Stops the container: its stop signal (or `stopSignal`, API 1.42+), then SIGKILL after `t`
   * seconds (default: the container's StopTimeout, else 10). (`signal` is the AbortSignal.)
   */
  stop(options: CallOptions & { t?: number; stopSignal?: string } = {}): Promise<void> {
    const { t, stopSignal, ...call } = options;
    return this.#post("/containers/{id}/stop", call, { t, signal: stopSignal }, t);
  }

  restart(options: CallOptions & { t?: number; stopSignal?: string } = {}): Promise<void> {
    const { t, stopSignal, ...call } = options;
    return this.#post("/containers/{id}/restart", call, { t, signal: stopSignal }, t);
  }

  /** Sends a unix signal, by name or number (default SIGKILL): `kill("SIGHUP")`. */
  kill(unixSignal?: string | number, options: CallOptions = {}): Promise<void> {
    return this.#post("/containers/{id}/kill", options, { signal: unixSignal });
  }

  pause(options: CallOptions = {}): Promise<void> {
    return this.#post("/containers/{id}/pause", options);
  }

  unpause(options: CallOptions = {}): Promise<void> {
    return this.#post("/containers/{id}/unpause", options);
  }

  rename(name: string, options: CallOptions = {}): Promise<void> {
    return this.#post("/containers/{id}/rename", options, { name });
  }

  /** Changes resource limits and restart policy of a live container. */
  update(config: ContainerUpdateBody, options: CallOptions = {}): Promise<ContainerUpdateResponse> {
    return this.#client.json({ ...options, method: "POST", path: "/containers/{id}/update", params: { id: this.id }, body: config });
  }

  /** Processes running in the container (`docker top`). */
  top(options: CallOptions & { psArgs?: string } = {}): Promise<ContainerTopResponse> {
    const { psArgs, ...call } = options;
    return this.#client.json({ ...call, method: "GET", path: "/containers/{id}/top", params: { id: this.id }, query: { ps_args: psArgs } });
  }

  /** Filesystem changes since the container was created (`docker diff`). */
  async changes(options: CallOptions = {}): Promise<ContainerChangesResponse> {
    const result = await this.#client.json<ContainerChangesResponse | null>({ ...options, method: "GET", path: "/containers/{id}/changes", params: { id: this.id } });
    return result ?? ([] as unknown as ContainerChangesResponse);
  }

  /**
   * Waits until the container stops (or the condition is met) and returns its exit code.
   * No timeout by default: a container may run for hours. Pass `signal` to give up.
   */
  wait(options: CallOptions & { condition?: "not-running" | "next-exit" | "removed" } = {}): Promise<ContainerWaitResponse> {
    const { condition, ...call } = options;
    return this.#client.json({ timeout: 0, ...call, method: "POST", path: "/containers/{id}/wait", params: { id: this.id }, query: { condition } });
  }

  /** Removes the container. `force` kills it first; `v` removes its anonymous volumes. */
  remove(options: CallOptions & { force?: boolean; v?: boolean; link?: boolean } = {}): Promise<void> {
    const { force, v, link, ...call } = options;
    return this.#client.void({ ...call, method: "DELETE", path: "/containers/{id}", params: { id: this.id }, query: { force, v, link } });
  }

  #post(path: string, call: CallOptions, query?: Record<string, unknown>, graceSeconds?: number): Promise<void> {
    // stop/restart may legitimately take the grace period before answering: extend the timeout.
    const timeout = graceSeconds !== undefined && call.timeout === undefined && this.#client.timeout > 0
      ? this.#client.timeout + graceSeconds * 1000
      : call.timeout;
    return this.#client.void({ ...call, timeout, method: "POST", path, params: { id: this.id }, query });
  }
}

function inspect(client: Client, id: string, options: CallOptions & { size?: boolean }): Promise<ContainerInspectResponse> {
  const { size, ...call } = options;
  return client.json({ ...call, method: "GET", path: "/containers/{id}/json", params: { id }, query: { size } });
}
