// Containers in berth-docker/lite: one function per engine call, each bundled only when imported.

import type { ContainerInspectResponse, ContainerSummary, Filters } from "../generated/types.ts";
import { request, segment, type Engine, type LiteCallOptions } from "./engine.ts";

export interface ListContainersOptions extends LiteCallOptions {
  /** Include stopped containers (`docker ps -a`). */
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

/** `GET /containers/json`: the engine's summaries, as it sends them. */
export async function listContainers(engine: Engine, options: ListContainersOptions = {}): Promise<ContainerSummary[]> {
  const { all, limit, size, filters, ...call } = options;
  return (await request<ContainerSummary[] | null>(engine, "GET", "/containers/json", { all, limit, size, filters }, call)) ?? [];
}

/** `GET /containers/{id}/json`. A missing container is DockerNotFoundError. */
export function inspectContainer(engine: Engine, id: string, options: LiteCallOptions & { size?: boolean } = {}): Promise<ContainerInspectResponse> {
  const { size, ...call } = options;
  return request(engine, "GET", `/containers/${segment(id, "a container id or name")}/json`, { size }, call);
}

/** Starts a container; one already running is not an error (the engine answers 304). */
export async function startContainer(engine: Engine, id: string, options: LiteCallOptions = {}): Promise<void> {
  await request(engine, "POST", `/containers/${segment(id, "a container id or name")}/start`, undefined, options);
}

/** Stops a container (SIGTERM, then SIGKILL after `t` seconds); one already stopped is not an error. */
export async function stopContainer(engine: Engine, id: string, options: LiteCallOptions & { t?: number } = {}): Promise<void> {
  const { t, ...call } = options;
  await request(engine, "POST", `/containers/${segment(id, "a container id or name")}/stop`, { t }, call);
}

/** Restarts a container. */
export async function restartContainer(engine: Engine, id: string, options: LiteCallOptions & { t?: number } = {}): Promise<void> {
  const { t, ...call } = options;
  await request(engine, "POST", `/containers/${segment(id, "a container id or name")}/restart`, { t }, call);
}

/** Removes a container: `force` kills a running one, `v` removes its anonymous volumes. */
export async function removeContainer(engine: Engine, id: string, options: LiteCallOptions & { force?: boolean; v?: boolean } = {}): Promise<void> {
  const { force, v, ...call } = options;
  await request(engine, "DELETE", `/containers/${segment(id, "a container id or name")}`, { force, v }, call);
}
