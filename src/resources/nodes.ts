// Swarm nodes: the collection (`docker.nodes`) and the handle (`Node`). Managers only.

import type { CallOptions, Client } from "../client.ts";
import type { Filters, Node as NodeInfo, NodeSpec } from "../generated/types.ts";
import { resolveUpdate, type SpecUpdate } from "./versioned-update.ts";

export interface NodeListOptions extends CallOptions {
  /** `id`, `label`, `membership` (`accepted`/`pending`), `name`, `node.label`, `role` (`manager`/`worker`). */
  filters?: Filters;
}

export class NodeCollection {
  readonly #client: Client;
  constructor(client: Client) {
    this.#client = client;
  }

  /** One request for the whole list. */
  async list(options: NodeListOptions = {}): Promise<Node[]> {
    const { filters, ...call } = options;
    const items = await this.#client.json<NodeInfo[] | null>({ ...call, method: "GET", path: "/nodes", query: { filters } });
    return (items ?? []).map((info) => new Node(this.#client, info.ID!, info));
  }

  /** Inspects a node by id or hostname (`self` is this engine's node); DockerNotFoundError when none. */
  async get(idOrName: string, options: CallOptions = {}): Promise<Node> {
    const info = await inspect(this.#client, idOrName, options);
    return new Node(this.#client, info.ID ?? idOrName, info);
  }

  /** A handle for a known id or hostname, without a request. */
  ref(idOrName: string): Node {
    return new Node(this.#client, idOrName);
  }
}

/** A swarm node. `attrs` holds what the engine last said about it. */
export class Node {
  readonly #client: Client;
  id: string;
  attrs: NodeInfo | undefined;

  constructor(client: Client, id: string, attrs?: NodeInfo) {
    this.#client = client;
    this.id = id;
    this.attrs = attrs;
  }

  /** @internal */
  get client(): Client {
    return this.#client;
  }

  get hostname(): string | undefined {
    return this.attrs?.Description?.Hostname;
  }

  /** The version index as last seen. */
  get version(): number | undefined {
    return this.attrs?.Version?.Index;
  }

  inspect(options: CallOptions = {}): Promise<NodeInfo> {
    return inspect(this.#client, this.id, options);
  }

  async reload(options: CallOptions = {}): Promise<this> {
    const info = await this.inspect(options);
    this.attrs = info;
    this.id = info.ID ?? this.id;
    return this;
  }

  /**
   * Replaces the node's spec (`docker node update`): role, availability, labels, name. The spec
   * replaces the whole current one (Role and Availability included): pass a function to change
   * part of it, e.g. `update((spec) => ({ ...spec, Availability: "drain" }))`.
   */
  async update(spec: SpecUpdate<NodeSpec>, options: CallOptions & { version?: number } = {}): Promise<void> {
    const { version, ...call } = options;
    const resolved = await resolveUpdate(`node ${this.id}`, spec, version, () => this.inspect(call));
    return this.#client.void({
      ...call,
      method: "POST",
      path: "/nodes/{id}/update",
      params: { id: this.id },
      query: { version: resolved.version },
      body: resolved.spec,
    });
  }

  /** Removes the node from the swarm (`docker node rm`); a node that is still up needs `force`. */
  remove(options: CallOptions & { force?: boolean } = {}): Promise<void> {
    const { force, ...call } = options;
    return this.#client.void({ ...call, method: "DELETE", path: "/nodes/{id}", params: { id: this.id }, query: { force } });
  }
}

function inspect(client: Client, id: string, options: CallOptions): Promise<NodeInfo> {
  return client.json({ ...options, method: "GET", path: "/nodes/{id}", params: { id } });
}
