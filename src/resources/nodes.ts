// Swarm nodes: the collection (`docker.nodes`) and the handle (`Node`). Managers only.

import type { CallOptions, Client } from "../request/engine.ts";
import type { Filters, Node as NodeInfo, NodeSpec } from "../generated/types.ts";
import { Collection, type Routes } from "./handle.ts";
import { VersionedHandle } from "./versioned-update.ts";

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
  protected static override readonly routes: Routes = { list: "/nodes", inspect: "/nodes/{id}", id: ["ID"] };

  get hostname(): string | undefined {
    return this.attrs?.Description?.Hostname;
  }

  /** Removes the node from the swarm (`docker node rm`); a node that is still up needs `force`. */
  remove(options: CallOptions & { force?: boolean } = {}): Promise<void> {
    const { force, ...call } = options;
    return this.client.void({ ...call, method: "DELETE", path: "/nodes/{id}", params: { id: this.id }, query: { force } });
  }
}
