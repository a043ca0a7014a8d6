// Networks: the collection (`docker.networks`) and the handle (`Network`).

import type { CallOptions, Client } from "../request/engine.ts";
import type {
  EndpointSettings,
  Filters,
  NetworkCreateBody,
  NetworkCreateResponse,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
} from "../generated/types.ts";
import { networkConnect, networkCreate, networkDelete, networkDisconnect, networkInspect, networkList, networkPrune, type NetworkPruneOptions } from "../generated/endpoints/network.ts";
import { compareVersions } from "../request/version.ts";
import { Collection, Handle, type Routes } from "./handle.ts";

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

/** A container's endpoint on a network (from the network's inspect). */
export interface NetworkEndpoint {
  /** The container's full id. */
  id: string;
  name: string;
  /** `172.18.0.2/16`; empty when the network gave none. */
  ipv4Address: string;
  ipv6Address: string;
  macAddress: string;
}

/** `docker.networks`: create, list, get by id, name or id prefix, ref, prune. */
export class NetworkCollection extends Collection<Network, NetworkListOptions, NetworkInspectOptions> {
  constructor(client: Client) {
    super(client, Network);
  }

  /**
   * Creates a network (`docker network create`) and resolves with its handle, `attrs` filled from
   * an inspect right after (name, driver, IPAM as the engine settled them; docker-py does the
   * same). On engines before API 1.44 the engine is asked to refuse a duplicate name
   * (`CheckDuplicate`), as newer engines always do.
   */
  async create(config: NetworkCreateBody, options: CallOptions = {}): Promise<Network> {
    let body: NetworkCreateBody & { CheckDuplicate?: boolean } = config;
    if (!("CheckDuplicate" in config) && compareVersions(await this.client.apiVersion(), "1.44") < 0) {
      body = { CheckDuplicate: true, ...config };
    }
    const created: NetworkCreateResponse = await networkCreate(this.client, body, options);
    const network = new Network(this.client, created.Id);
    network.warning = created.Warning || undefined;
    return network.reload({ signal: options.signal, timeout: options.timeout });
  }

  /** Removes networks no container uses (`docker network prune`); `filters`: `until`, `label`, `label!`. */
  async prune(options: NetworkPruneOptions = {}): Promise<NetworkPruneResponse> {
    const result: NetworkPruneResponse | undefined = await networkPrune(this.client, options);
    return { ...result, NetworksDeleted: result?.NetworksDeleted ?? [] };
  }
}

/** A network. `attrs` holds what the engine last said about it (list summary or inspect). */
export class Network extends Handle<NetworkSummary | NetworkInspect, NetworkInspect, NetworkInspectOptions, NetworkInspectOptions> {
  /** @internal */
  protected static override readonly routes: Routes = { name: "network", list: networkList, inspect: networkInspect, id: ["Id"] };

  /** The engine's warning when creating the network, if any. */
  warning: string | undefined;

  /** The network's name, if known. */
  get name(): string | undefined {
    return this.attrs?.Name;
  }

  /**
   * The containers attached, as last inspected: id, name and addresses (CIDR, as the engine gives
   * them). Empty when unknown: a list item carries no endpoints, so `reload()` first.
   */
  get containers(): NetworkEndpoint[] {
    return Object.entries(this.info?.Containers ?? {}).map(([id, e]) => ({
      id,
      name: e.Name ?? "",
      ipv4Address: e.IPv4Address ?? "",
      ipv6Address: e.IPv6Address ?? "",
      macAddress: e.MacAddress ?? "",
    }));
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
    return networkConnect(this.client, this.id, { Container: containerId(container), EndpointConfig: endpoint }, call);
  }

  /** Disconnects a container; `force` also works when the container is not running or the endpoint is stale. */
  disconnect(container: ContainerRef, options: CallOptions & { force?: boolean } = {}): Promise<void> {
    const { force, ...call } = options;
    return networkDisconnect(this.client, this.id, { Container: containerId(container), Force: force ?? false }, call);
  }

  /** Removes the network (`docker network rm`); fails with DockerConflictError while containers use it. */
  remove(options: CallOptions = {}): Promise<void> {
    return networkDelete(this.client, this.id, options);
  }
}

function containerId(container: ContainerRef): string {
  return typeof container === "string" ? container : container.id;
}

