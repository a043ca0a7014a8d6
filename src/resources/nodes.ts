// Swarm nodes: the collection (`docker.nodes`) and the handle (`Node`). Managers only.

import type { CallOptions, Client } from "../request/engine.ts";
import type { Filters, Node as NodeInfo, NodeSpec } from "../generated/types.ts";
import { nodeDelete, nodeInspect, nodeList, nodeUpdate, type NodeDeleteOptions } from "../generated/endpoints/node.ts";
import { Collection } from "./handle.ts";
import { VersionedHandle, type VersionedRoutes } from "./versioned-update.ts";

export interface NodeListOptions extends CallOptions {
  /** `id`, `label`, `membership` (`accepted`/`pending`), `name`, `node.label`, `role` (`manager`/`worker`). */
  filters?: Filters;
}

/** `docker.nodes`: list, get by id or hostname (`self` is this engine's node), ref. */
export class NodeCollection extends Collection<Node, NodeListOptions> {
  constructor(client: Client) {
    super(client, Node);
  }
}

/**
 * A swarm node. `attrs` holds what the engine last said about it. `update()` (`docker node
 * update`) sets role, availability, labels, name; the spec replaces the whole current one (Role
 * and Availability included): `update((spec) => ({ ...spec, Availability: "drain" }))`.
 */
export class Node extends VersionedHandle<NodeInfo, NodeSpec> {
  /** @internal */
  protected static override readonly routes: VersionedRoutes = { name: "node", list: nodeList, inspect: nodeInspect, update: nodeUpdate, id: ["ID"] };

  get hostname(): string | undefined {
    return this.attrs?.Description?.Hostname;
  }

  /** Removes the node from the swarm (`docker node rm`); a node that is still up needs `force`. */
  remove(options: NodeDeleteOptions = {}): Promise<void> {
    return nodeDelete(this.client, this.id, options);
  }
}
