// Swarm objects (the swarm itself, services, nodes, secrets, configs) are updated by sending a
// whole new spec together with the version index the change was based on; the engine refuses
// the write when someone else changed the object in between. These helpers read both when the
// caller did not give them.

import { DockerError } from "../errors.ts";
import type { ObjectVersion } from "../generated/types.ts";

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
