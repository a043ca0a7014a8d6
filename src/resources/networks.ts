// Networks: the collection (`docker.networks`) and the handle (`Network`).

import type { CallOptions, Client } from "../client.ts";
import type {
  EndpointSettings,
  Filters,
  NetworkCreateBody,
  NetworkCreateResponse,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
} from "../generated/types.ts";
import { compareVersions } from "../version.ts";

/** A container given by id or name, or any handle with an `id` (a `Container`). */
export type ContainerRef = string | { readonly id: string };

export interface NetworkListOptions extends CallOptions {
  /** `driver`, `id`, `label`, `name`, `scope` (`swarm`/`global`/`local`), `type` (`custom`/`builtin`), `dangling`. */
  filters?: Filters;
}

export interface NetworkInspectOptions extends CallOptions {
  /** Detailed output for troubleshooting (swarm-scoped networks: services and their tasks). */
  verbose?: boolean;
  /** Only a network of this scope: `swarm`, `global` or `local`. */
  scope?: string;
}

/** How a container joins a network (`docker network connect`); builds the `EndpointConfig`. */
export interface NetworkConnectOptions extends CallOptions {
  /** Extra DNS names of the container on this network (`--alias`). */
  aliases?: string[];
  /** A fixed IPv4 address inside the network's subnet (`--ip`); the network needs a user-set subnet. */
  ipv4Address?: string;
  /** A fixed IPv6 address (`--ip6`). */
  ipv6Address?: string;
  /** Link-local addresses (`--link-local-ip`). */
  linkLocalIPs?: string[];
  /** Legacy links, `container:alias` (`--link`). */
  links?: string[];
  macAddress?: string;
  /** Options passed to the network driver for this endpoint (`--driver-opt`). */
  driverOpts?: Record<string, string>;
  /** Which endpoint gives the default gateway (API 1.48+; older engines ignore it). */
  gwPriority?: number;
  /** Any other EndpointSettings field; the options above are applied on top of it. */
  endpointConfig?: EndpointSettings;
}

export class NetworkCollection {
  readonly #client: Client;
  constructor(client: Client) {
    this.#client = client;
  }

  /**
   * Creates a network (`docker network create`). On engines before API 1.44 the engine is asked to
   * refuse a duplicate name (`CheckDuplicate`), as newer engines always do.
   */
  async create(config: NetworkCreateBody, options: CallOptions = {}): Promise<Network> {
    let body: NetworkCreateBody & { CheckDuplicate?: boolean } = config;
    if (!("CheckDuplicate" in config) && compareVersions(await this.#client.apiVersion(), "1.44") < 0) {
      body = { CheckDuplicate: true, ...config };
    }
    const created = await this.#client.json<NetworkCreateResponse>({ ...options, method: "POST", path: "/networks/create", body });
    const network = new Network(this.#client, created.Id);
    network.warning = created.Warning || undefined;
    return network;
  }

  /** One request for the whole list; each item is a handle holding its summary. */
  async list(options: NetworkListOptions = {}): Promise<Network[]> {
    const { filters, ...call } = options;
    const items = await this.#client.json<NetworkSummary[] | null>({ ...call, method: "GET", path: "/networks", query: { filters } });
    return (items ?? []).map((summary) => new Network(this.#client, summary.Id!, summary));
  }

  /** Inspects a network by id, name or id prefix; rejects with DockerNotFoundError when none. */
  async get(idOrName: string, options: NetworkInspectOptions = {}): Promise<Network> {
    const info = await inspect(this.#client, idOrName, options);
    return new Network(this.#client, info.Id ?? idOrName, info);
  }

  /** A handle for a known id or name, without a request. */
  ref(idOrName: string): Network {
    return new Network(this.#client, idOrName);
  }

  /** Removes networks no container uses (`docker network prune`); `filters`: `until`, `label`, `label!`. */
  async prune(options: CallOptions & { filters?: Filters } = {}): Promise<NetworkPruneResponse> {
    const { filters, ...call } = options;
    const result = await this.#client.json<NetworkPruneResponse>({ ...call, method: "POST", path: "/networks/prune", query: { filters } });
    return { ...result, NetworksDeleted: result?.NetworksDeleted ?? [] };
  }
}

/** A network. `attrs` holds what the engine last said about it (list summary or inspect). */
export class Network {
  readonly #client: Client;
  /** Full id (or the name/prefix the handle was made from, until `reload()`). */
  id: string;
  attrs: NetworkSummary | NetworkInspect | undefined;
  /** The engine's warning when creating the network, if any. */
  warning: string | undefined;

  constructor(client: Client, id: string, attrs?: NetworkSummary | NetworkInspect) {
    this.#client = client;
    this.id = id;
    this.attrs = attrs;
  }

  /** @internal */
  get client(): Client {
    return this.#client;
  }

  /** The network's name, if known. */
  get name(): string | undefined {
    return this.attrs?.Name;
  }

  /** Inspects the network (`docker network inspect`), with its attached containers. */
  inspect(options: NetworkInspectOptions = {}): Promise<NetworkInspect> {
    return inspect(this.#client, this.id, options);
  }

  /** Refreshes `attrs` (and `id`) from the engine. */
  async reload(options: NetworkInspectOptions = {}): Promise<this> {
    const info = await this.inspect(options);
    this.attrs = info;
    this.id = info.Id ?? this.id;
    return this;
  }

  /** Connects a container (`docker network connect`), with aliases, a fixed address, and so on. */
  connect(container: ContainerRef, options: NetworkConnectOptions = {}): Promise<void> {
    const { aliases, ipv4Address, ipv6Address, linkLocalIPs, links, macAddress, driverOpts, gwPriority, endpointConfig, ...call } = options;
    const endpoint: EndpointSettings = { ...endpointConfig };
    if (aliases !== undefined) endpoint.Aliases = aliases;
    if (links !== undefined) endpoint.Links = links;
    if (macAddress !== undefined) endpoint.MacAddress = macAddress;
    if (driverOpts !== undefined) endpoint.DriverOpts = driverOpts;
    if (gwPriority !== undefined) endpoint.GwPriority = gwPriority;
    if (ipv4Address !== undefined || ipv6Address !== undefined || linkLocalIPs !== undefined) {
      endpoint.IPAMConfig = { ...endpointConfig?.IPAMConfig };
      if (ipv4Address !== undefined) endpoint.IPAMConfig.IPv4Address = ipv4Address;
      if (ipv6Address !== undefined) endpoint.IPAMConfig.IPv6Address = ipv6Address;
      if (linkLocalIPs !== undefined) endpoint.IPAMConfig.LinkLocalIPs = linkLocalIPs;
    }
    return this.#client.void({
      ...call,
      method: "POST",
      path: "/networks/{id}/connect",
      params: { id: this.id },
      body: { Container: containerId(container), EndpointConfig: endpoint },
    });
  }

  /** Disconnects a container; `force` also works when the container is not running or the endpoint is stale. */
  disconnect(container: ContainerRef, options: CallOptions & { force?: boolean } = {}): Promise<void> {
    const { force, ...call } = options;
    return this.#client.void({
      ...call,
      method: "POST",
      path: "/networks/{id}/disconnect",
      params: { id: this.id },
      body: { Container: containerId(container), Force: force ?? false },
    });
  }

  /** Removes the network (`docker network rm`); fails with DockerConflictError while containers use it. */
  remove(options: CallOptions = {}): Promise<void> {
    return this.#client.void({ ...options, method: "DELETE", path: "/networks/{id}", params: { id: this.id } });
  }
}

function containerId(container: ContainerRef): string {
  return typeof container === "string" ? container : container.id;
}

function inspect(client: Client, id: string, options: NetworkInspectOptions): Promise<NetworkInspect> {
  const { verbose, scope, ...call } = options;
  return client.json({ ...call, method: "GET", path: "/networks/{id}", params: { id }, query: { verbose, scope } });
}
