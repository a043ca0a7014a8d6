// Secrets and configs are one kind of swarm object: a named blob with labels, created with its
// content base64-encoded, updated only in its labels, removed unless a service uses it. They
// differ in their routes, and in that inspect gives a config's data back but never a secret's.

import type { CallOptions, Client } from "../request/engine.ts";
import { encodeBase64 } from "../config/base64.ts";
import type { IDResponse, ObjectVersion } from "../generated/types.ts";
import { encodeUtf8 } from "../streams/bytes.ts";
import { Collection, type AnyHandle } from "./handle.ts";
import { VersionedHandle, type VersionedRoutes } from "./versioned-update.ts";

/** The routes of a secret or config: its create and delete endpoint functions too. */
export interface DataRoutes extends VersionedRoutes {
  create(client: Client, spec: never, options: CallOptions): Promise<IDResponse>;
  remove(client: Client, id: string, options: CallOptions): Promise<unknown>;
}

/** A spec to create with: `Data` is the plain content, which berth base64-encodes for the engine. */
export type PlainData<Spec extends { Data?: string }> = Omit<Spec, "Data"> & {
  /** The content: text (sent as UTF-8) or bytes. Leave out when a secret's `Driver` provides it. */
  Data?: string | Uint8Array;
};

interface DataSpec {
  Name?: string;
  Data?: string;
}

/** A secret or config. The engine lets only `Labels` change: update with the current spec and new labels. */
export abstract class DataHandle<Info extends { Version?: ObjectVersion; Spec?: Spec }, Spec extends DataSpec> extends VersionedHandle<Info, Spec> {
  get name(): string | undefined {
    return this.attrs?.Spec?.Name;
  }

  /** Removes the object (`docker secret rm`, `docker config rm`); fails while a service uses it. */
  remove(options: CallOptions = {}): Promise<void> {
    return (this.routes() as DataRoutes).remove(this.client, this.id, options) as Promise<void>;
  }
}

/** `docker.secrets`, `docker.configs`: create, and list/get (by id or name)/ref. */
export abstract class DataCollection<H extends AnyHandle, Spec extends DataSpec, ListOptions extends CallOptions> extends Collection<
  H,
  ListOptions
> {
  /** Creates the object (`docker secret create`, `docker config create`). */
  async create(spec: PlainData<Spec>, options: CallOptions = {}): Promise<H> {
    const { Data, ...rest } = spec;
    const body = Data === undefined ? rest : { ...rest, Data: encodeBase64(typeof Data === "string" ? encodeUtf8(Data) : Data) };
    // The spec says `Id`; engines answer `ID`.
    const created: IDResponse & { ID?: string } = await (this.routes() as DataRoutes).create(this.client, body as never, options);
    return this.ref(created.ID ?? created.Id);
  }
}
