// Swarm objects (the swarm itself, services, nodes, secrets, configs) are updated by sending a
// whole new spec together with the version index the change was based on; the engine refuses
// the write when someone else changed the object in between. These helpers read both when the
// caller did not give them.

import type { CallOptions, Client } from "../request/engine.ts";
import { DockerError } from "../errors/errors.ts";
import type { ObjectVersion } from "../generated/types.ts";
import { Handle, type Routes } from "./handle.ts";

/** The routes of an object updated against a version: its update endpoint function too (`nodeUpdate`). */
export interface VersionedRoutes extends Routes {
  update(client: Client, id: string, spec: never, options: CallOptions & { version: number }): Promise<unknown>;
}

/**
 * A new spec, or a function deriving it from the current one. The function form reads the object
 * once and sends the version of exactly what it read, so a concurrent change fails instead of
 * being overwritten.
 */
export type SpecUpdate<S> = S | ((current: S) => S);

/** The spec and version index to send. `read` is called only when one of them is missing. */
export async function resolveUpdate<S>(
  what: string,
  update: SpecUpdate<S>,
  version: number | undefined,
  read: () => Promise<{ Version?: ObjectVersion; Spec?: S }>,
): Promise<{ spec: S; version: number }> {
  if (version !== undefined && typeof update !== "function") return { spec: update, version };
  const current = await read();
  const index = version ?? current.Version?.Index;
  if (index === undefined) throw new DockerError(`${what}: the engine reported no version index to update against`);
  const spec = typeof update === "function" ? (update as (current: S) => S)((current.Spec ?? {}) as S) : update;
  return { spec, version: index };
}

/**
 * A node, secret or config: its spec is replaced whole, against a version. (A service is one too,
 * but its update takes more options and answers with warnings.)
 */
export abstract class VersionedHandle<Info extends { Version?: ObjectVersion; Spec?: Spec }, Spec> extends Handle<Info> {
  /** The version index as last seen (`attrs.Version.Index`). */
  get version(): number | undefined {
    return this.attrs?.Version?.Index;
  }

  /**
   * Replaces the object's spec. The spec replaces the whole current one (what the engine lets
   * change differs: see the class): pass a function to change part of it, e.g.
   * `update((spec) => ({ ...spec, Labels: { env: "prod" } }))`. Without `version`, the version of
   * the spec just read is sent, so a concurrent change fails instead of being lost.
   */
  async update(spec: SpecUpdate<Spec>, options: CallOptions & { version?: number } = {}): Promise<void> {
    const { version, ...call } = options;
    const routes = this.routes() as VersionedRoutes;
    const resolved = await resolveUpdate(`${routes.name} ${this.id}`, spec, version, () => this.inspect(call));
    await routes.update(this.client, this.id, resolved.spec as never, { ...call, version: resolved.version });
  }
}
