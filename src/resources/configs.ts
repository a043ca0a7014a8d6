// Swarm configs: the collection (`docker.configs`) and the handle (`Config`). Unlike a secret, a
// config's data comes back in inspect (base64, as stored); `data()` and `text()` decode it.

import { decodeBase64, encodeBase64 } from "../config/base64.ts";
import type { CallOptions, Client } from "../client.ts";
import type { Config as ConfigInfo, ConfigSpec, Filters, IDResponse } from "../generated/types.ts";
import { decodeUtf8, encodeUtf8 } from "../streams/bytes.ts";
import { resolveUpdate, type SpecUpdate } from "./versioned-update.ts";

/** A config to create. `Data` is the plain content; berth base64-encodes it for the engine. */
export type ConfigCreateSpec = Omit<ConfigSpec, "Data"> & {
  /** The config's content: text (sent as UTF-8) or bytes. */
  Data?: string | Uint8Array;
};

export interface ConfigListOptions extends CallOptions {
  /** `id`, `label`, `name`, `names`. */
  filters?: Filters;
}

export class ConfigCollection {
  readonly #client: Client;
  constructor(client: Client) {
    this.#client = client;
  }

  /** Creates a config (`docker config create`). */
  async create(spec: ConfigCreateSpec, options: CallOptions = {}): Promise<Config> {
    const { Data, ...rest } = spec;
    const body: ConfigSpec = Data === undefined ? rest : { ...rest, Data: encodeBase64(typeof Data === "string" ? encodeUtf8(Data) : Data) };
    // The spec says `Id`; engines answer `ID`.
    const created = await this.#client.json<IDResponse & { ID?: string }>({ ...options, method: "POST", path: "/configs/create", body });
    return new Config(this.#client, created.ID ?? created.Id);
  }

  /** One request for the whole list. */
  async list(options: ConfigListOptions = {}): Promise<Config[]> {
    const { filters, ...call } = options;
    const items = await this.#client.json<ConfigInfo[] | null>({ ...call, method: "GET", path: "/configs", query: { filters } });
    return (items ?? []).map((info) => new Config(this.#client, info.ID!, info));
  }

  /** Inspects a config by id or name; rejects with DockerNotFoundError when none. */
  async get(idOrName: string, options: CallOptions = {}): Promise<Config> {
    const info = await inspect(this.#client, idOrName, options);
    return new Config(this.#client, info.ID ?? idOrName, info);
  }

  /** A handle for a known id or name, without a request. */
  ref(idOrName: string): Config {
    return new Config(this.#client, idOrName);
  }
}

/** A config. `attrs` holds what the engine last said about it, its data included. */
export class Config {
  readonly #client: Client;
  id: string;
  attrs: ConfigInfo | undefined;

  constructor(client: Client, id: string, attrs?: ConfigInfo) {
    this.#client = client;
    this.id = id;
    this.attrs = attrs;
  }

  /** @internal */
  get client(): Client {
    return this.#client;
  }

  get name(): string | undefined {
    return this.attrs?.Spec?.Name;
  }

  /** The version index as last seen. */
  get version(): number | undefined {
    return this.attrs?.Version?.Index;
  }

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

  inspect(options: CallOptions = {}): Promise<ConfigInfo> {
    return inspect(this.#client, this.id, options);
  }

  async reload(options: CallOptions = {}): Promise<this> {
    const info = await this.inspect(options);
    this.attrs = info;
    this.id = info.ID ?? this.id;
    return this;
  }

  /**
   * Replaces the config's spec. The engine lets only `Labels` change: send the current spec (its
   * `Data` as inspect returns it, base64) with new labels, e.g.
   * `update((spec) => ({ ...spec, Labels: { env: "prod" } }))`.
   */
  async update(spec: SpecUpdate<ConfigSpec>, options: CallOptions & { version?: number } = {}): Promise<void> {
    const { version, ...call } = options;
    const resolved = await resolveUpdate(`config ${this.id}`, spec, version, () => this.inspect(call));
    return this.#client.void({
      ...call,
      method: "POST",
      path: "/configs/{id}/update",
      params: { id: this.id },
      query: { version: resolved.version },
      body: resolved.spec,
    });
  }

  /** Removes the config (`docker config rm`); fails while a service uses it. */
  remove(options: CallOptions = {}): Promise<void> {
    return this.#client.void({ ...options, method: "DELETE", path: "/configs/{id}", params: { id: this.id } });
  }
}

function inspect(client: Client, id: string, options: CallOptions): Promise<ConfigInfo> {
  return client.json({ ...options, method: "GET", path: "/configs/{id}", params: { id } });
}
