// Swarm secrets: the collection (`docker.secrets`) and the handle (`Secret`). The engine never
// gives a secret's data back; inspect shows only its spec without `Data`.

import { encodeBase64 } from "../config/base64.ts";
import { encodeUtf8 } from "../streams/bytes.ts";
import type { CallOptions, Client } from "../client.ts";
import type { Filters, IDResponse, Secret as SecretInfo, SecretSpec } from "../generated/types.ts";
import { resolveUpdate, type SpecUpdate } from "./versioned-update.ts";

/** A secret to create. `Data` is the plain content; berth base64-encodes it for the engine. */
export type SecretCreateSpec = Omit<SecretSpec, "Data"> & {
  /** The secret's content: text (sent as UTF-8) or bytes. Leave out when `Driver` is set. */
  Data?: string | Uint8Array;
};

export interface SecretListOptions extends CallOptions {
  /** `id`, `label`, `name`, `names`. */
  filters?: Filters;
}

export class SecretCollection {
  readonly #client: Client;
  constructor(client: Client) {
    this.#client = client;
  }

  /** Creates a secret (`docker secret create`). */
  async create(spec: SecretCreateSpec, options: CallOptions = {}): Promise<Secret> {
    const { Data, ...rest } = spec;
    const body: SecretSpec = Data === undefined ? rest : { ...rest, Data: encodeBase64(typeof Data === "string" ? encodeUtf8(Data) : Data) };
    // The spec says `Id`; engines answer `ID`.
    const created = await this.#client.json<IDResponse & { ID?: string }>({ ...options, method: "POST", path: "/secrets/create", body });
    return new Secret(this.#client, created.ID ?? created.Id);
  }

  /** One request for the whole list. */
  async list(options: SecretListOptions = {}): Promise<Secret[]> {
    const { filters, ...call } = options;
    const items = await this.#client.json<SecretInfo[] | null>({ ...call, method: "GET", path: "/secrets", query: { filters } });
    return (items ?? []).map((info) => new Secret(this.#client, info.ID!, info));
  }

  /** Inspects a secret by id or name; rejects with DockerNotFoundError when none. */
  async get(idOrName: string, options: CallOptions = {}): Promise<Secret> {
    const info = await inspect(this.#client, idOrName, options);
    return new Secret(this.#client, info.ID ?? idOrName, info);
  }

  /** A handle for a known id or name, without a request. */
  ref(idOrName: string): Secret {
    return new Secret(this.#client, idOrName);
  }
}

/** A secret. `attrs` holds what the engine last said about it (never its data). */
export class Secret {
  readonly #client: Client;
  id: string;
  attrs: SecretInfo | undefined;

  constructor(client: Client, id: string, attrs?: SecretInfo) {
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

  inspect(options: CallOptions = {}): Promise<SecretInfo> {
    return inspect(this.#client, this.id, options);
  }

  async reload(options: CallOptions = {}): Promise<this> {
    const info = await this.inspect(options);
    this.attrs = info;
    this.id = info.ID ?? this.id;
    return this;
  }

  /**
   * Replaces the secret's spec. The engine lets only `Labels` change: send the current spec with
   * new labels, e.g. `update((spec) => ({ ...spec, Labels: { env: "prod" } }))`.
   */
  async update(spec: SpecUpdate<SecretSpec>, options: CallOptions & { version?: number } = {}): Promise<void> {
    const { version, ...call } = options;
    const resolved = await resolveUpdate(`secret ${this.id}`, spec, version, () => this.inspect(call));
    return this.#client.void({
      ...call,
      method: "POST",
      path: "/secrets/{id}/update",
      params: { id: this.id },
      query: { version: resolved.version },
      body: resolved.spec,
    });
  }

  /** Removes the secret (`docker secret rm`); fails while a service uses it. */
  remove(options: CallOptions = {}): Promise<void> {
    return this.#client.void({ ...options, method: "DELETE", path: "/secrets/{id}", params: { id: this.id } });
  }
}

function inspect(client: Client, id: string, options: CallOptions): Promise<SecretInfo> {
  return client.json({ ...options, method: "GET", path: "/secrets/{id}", params: { id } });
}
