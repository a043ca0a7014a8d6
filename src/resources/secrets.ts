// Swarm secrets: the collection (`docker.secrets`) and the handle (`Secret`). The engine never
// gives a secret's data back; inspect shows only its spec without `Data`.

import type { CallOptions, Client } from "../request/engine.ts";
import type { Filters, Secret as SecretInfo, SecretSpec } from "../generated/types.ts";
import { secretCreate, secretDelete, secretInspect, secretList, secretUpdate } from "../generated/endpoints/secret.ts";
import { DataCollection, DataHandle, type DataRoutes, type PlainData } from "./swarm-data.ts";

/** A secret to create. `Data` is the plain content; berth base64-encodes it for the engine. */
export type SecretCreateSpec = PlainData<SecretSpec>;

export interface SecretListOptions extends CallOptions {
  /** `id`, `label`, `name`, `names`. */
  filters?: Filters;
}

/** `docker.secrets`: create (`docker secret create`), list, get by id or name, ref. */
export class SecretCollection extends DataCollection<Secret, SecretSpec, SecretListOptions> {
  constructor(client: Client) {
    super(client, Secret);
  }
}

/**
 * A secret. `attrs` holds what the engine last said about it (never its data). `update()` may
 * change only its labels: `update((spec) => ({ ...spec, Labels: { env: "prod" } }))`.
 */
export class Secret extends DataHandle<SecretInfo, SecretSpec> {
  /** @internal */
  protected static override readonly routes: DataRoutes = {
    name: "secret",
    list: secretList,
    inspect: secretInspect,
    update: secretUpdate,
    create: secretCreate,
    remove: secretDelete,
    id: ["ID"],
  };
}
