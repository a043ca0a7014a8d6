// Swarm configs: the collection (`docker.configs`) and the handle (`Config`). Unlike a secret, a
// config's data comes back in inspect (base64, as stored); `data()` and `text()` decode it.

import { decodeBase64 } from "../config/base64.ts";
import type { CallOptions, Client } from "../request/engine.ts";
import type { Config as ConfigInfo, ConfigSpec, Filters } from "../generated/types.ts";
import { decodeUtf8 } from "../streams/bytes.ts";
import { configCreate, configDelete, configInspect, configList, configUpdate } from "../generated/endpoints/config.ts";
import { DataCollection, DataHandle, type DataRoutes, type PlainData } from "./swarm-data.ts";

/** A config to create. `Data` is the plain content; berth base64-encodes it for the engine. */
export type ConfigCreateSpec = PlainData<ConfigSpec>;

export interface ConfigListOptions extends CallOptions {
  /** `id`, `label`, `name`, `names`. */
  filters?: Filters;
}

/** `docker.configs`: create (`docker config create`), list, get by id or name, ref. */
export class ConfigCollection extends DataCollection<Config, ConfigSpec, ConfigListOptions> {
  constructor(client: Client) {
    super(client, Config);
  }
}

/**
 * A config. `attrs` holds what the engine last said about it, its data included. `update()` may
 * change only its labels: send the current spec (its `Data` as inspect returns it, base64) with
 * new labels, e.g. `update((spec) => ({ ...spec, Labels: { env: "prod" } }))`.
 */
export class Config extends DataHandle<ConfigInfo, ConfigSpec> {
  /** @internal */
  protected static override readonly routes: DataRoutes = {
    name: "config",
    list: configList,
    inspect: configInspect,
    update: configUpdate,
    create: configCreate,
    remove: configDelete,
    id: ["ID"],
  };

  /** The config's content as last seen (decoded from `attrs.Spec.Data`); undefined before a read. */
  data(): Uint8Array | undefined {
    const encoded = this.attrs?.Spec?.Data;
    return encoded === undefined ? undefined : decodeBase64(encoded);
  }

  /** The config's content as UTF-8 text; undefined before a read. */
  text(): string | undefined {
    const bytes = this.data();
    return bytes === undefined ? undefined : decodeUtf8(bytes);
  }
}
