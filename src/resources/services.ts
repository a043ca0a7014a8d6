// Swarm services: the collection (`docker.services`) and the handle (`Service`).

import type { CallOptions, Client } from "../request/engine.ts";
import { DockerError } from "../errors/errors.ts";
import type {
  Filters,
  Service as ServiceInfo,
  ServiceCreateResponse,
  ServiceSpec,
  ServiceUpdateResponse,
} from "../generated/types.ts";
import type { TransportResponse } from "../transport/transport.ts";
import type { OutputStream } from "../streams/output.ts";
import { withImageAuth, withRegistryAuth, type RegistryAuth } from "./registry-auth-header.ts";
import { knownOrInspected, logsRaw, swarmLogs, Task, TaskCollection, type SwarmLogsOptions, type TaskListOptions } from "./tasks.ts";
import { serviceCreate, serviceDelete, serviceInspect, serviceList, serviceUpdate } from "../generated/endpoints/service.ts";
import { Collection, Handle, type Routes } from "./handle.ts";
import { resolveUpdate, type SpecUpdate } from "./versioned-update.ts";

export interface ServiceListOptions extends CallOptions {
  /** `id`, `label`, `mode` (`replicated`/`global`), `name`. */
  filters?: Filters;
  /** Include `ServiceStatus` (running and desired task counts). */
  status?: boolean;
}

export interface ServiceCreateOptions extends CallOptions {
  /** Credentials for pulling the service's image from a private registry (sent as X-Registry-Auth). */
  auth?: RegistryAuth | string;
}

export interface ServiceUpdateOptions extends CallOptions {
  /** The service's version index; read from the engine when omitted. */
  version?: number;
  /** Without `auth`: take registry credentials from the current spec (`spec`, default) or the previous one. */
  registryAuthFrom?: "spec" | "previous-spec";
  /** `"previous"`: roll back to the previous spec (the spec sent is then ignored). */
  rollback?: "previous";
  auth?: RegistryAuth | string;
}

/** `docker.services`: create, list (`status` adds running and desired task counts), get by id or name, ref. */
export class ServiceCollection extends Collection<Service, ServiceListOptions, CallOptions & { insertDefaults?: boolean }> {
  constructor(client: Client) {
    super(client, Service);
  }

  /**
   * Creates a service (`docker service create`). The handle has the id and the engine's warnings
   * (for instance when the image could not be resolved to a digest).
   */
  async create(spec: ServiceSpec, options: ServiceCreateOptions = {}): Promise<Service> {
    const { auth, headers, ...call } = options;
    // Without explicit credentials, those the credential source has for the service's image.
    const image = spec.TaskTemplate?.ContainerSpec?.Image;
    const created: ServiceCreateResponse = await serviceCreate(this.client, spec, { ...call, headers: await withImageAuth(this.client, image, auth, headers) });
    const service = new Service(this.client, created.ID!);
    service.warnings = created.Warnings ?? [];
    return service;
  }
}

/** A service. `attrs` holds what the engine last said about it. */
export class Service extends Handle<ServiceInfo, ServiceInfo, CallOptions & { insertDefaults?: boolean }> {
  /** @internal */
  protected static override readonly routes: Routes = { name: "service", list: serviceList, inspect: serviceInspect, id: ["ID"] };

  /** Warnings the engine gave when creating the service. */
  warnings: string[] = [];

  get name(): string | undefined {
    return this.attrs?.Spec?.Name;
  }

  /** The version index as last seen (`attrs.Version.Index`). */
  get version(): number | undefined {
    return this.attrs?.Version?.Index;
  }

  /**
   * Replaces the service's spec (`docker service update`). The spec replaces the whole current
   * one: pass a function to change part of it, e.g.
   * `update((spec) => ({ ...spec, Labels: { ...spec.Labels, tier: "web" } }))`.
   * Without `version`, the version of the spec just read is sent, so a concurrent change fails
   * with an error instead of being lost.
   */
  async update(spec: SpecUpdate<ServiceSpec>, options: ServiceUpdateOptions = {}): Promise<ServiceUpdateResponse> {
    const { version, registryAuthFrom, rollback, auth, headers, ...call } = options;
    const resolved = await resolveUpdate(`service ${this.id}`, spec, version, () => this.inspect(call));
    const answer: ServiceUpdateResponse | null = await serviceUpdate(this.client, this.id, resolved.spec, {
      ...call,
      headers: withRegistryAuth(headers, auth),
      version: resolved.version,
      registryAuthFrom,
      rollback,
    });
    return { Warnings: answer?.Warnings ?? [] };
  }

  /** Rolls back to the previous spec (`docker service rollback`). */
  rollback(options: Omit<ServiceUpdateOptions, "rollback"> = {}): Promise<ServiceUpdateResponse> {
    return this.update((current) => current, { ...options, rollback: "previous" });
  }

  /** Sets the number of replicas of a replicated service (`docker service scale`). */
  scale(replicas: number, options: Omit<ServiceUpdateOptions, "rollback"> = {}): Promise<ServiceUpdateResponse> {
    if (!Number.isSafeInteger(replicas) || replicas < 0) throw new DockerError(`replicas must be a non-negative integer, got ${replicas}`);
    return this.update((current) => {
      if (current.Mode?.Replicated === undefined) {
        throw new DockerError(`Service ${current.Name ?? this.id} is not in replicated mode and cannot be scaled`);
      }
      return { ...current, Mode: { ...current.Mode, Replicated: { ...current.Mode.Replicated, Replicas: replicas } } };
    }, options);
  }

  /** The service's tasks (one request), optionally filtered further (`desired-state`, `node`, ...). */
  tasks(options: TaskListOptions = {}): Promise<Task[]> {
    const { filters, ...call } = options;
    return new TaskCollection(this.client).list({ ...call, filters: { ...filters, service: [this.id] } });
  }

  /** Removes the service (`docker service rm`); its tasks are shut down. */
  remove(options: CallOptions = {}): Promise<void> {
    return serviceDelete(this.client, this.id, options);
  }

  /**
   * The service's logs (from all its tasks) as the engine sends them: a multiplexed stream
   * (8-byte frame headers) unless the service has a TTY. The tasks' log driver must support
   * reading (json-file, local, journald).
   */
  logsRaw(options: SwarmLogsOptions = {}): Promise<TransportResponse> {
    return logsRaw(this.client, "/services/{id}/logs", this.id, options);
  }

  /** The service's logs (all its tasks) as `{ stream, data }` frames, like `Container#logs`. */
  async logs(options: SwarmLogsOptions = {}): Promise<OutputStream> {
    // Without `tty` or attrs (the handle of create() or ref()), ask: a TTY service's logs are not multiplexed.
    const tty = options.tty ?? (await knownOrInspected(this, options, (info) => info.Spec?.TaskTemplate?.ContainerSpec?.TTY));
    return swarmLogs(this.client, "/services/{id}/logs", this.id, { ...options, tty });
  }
}

