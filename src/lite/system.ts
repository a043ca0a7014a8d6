// The engine itself in berth-docker/lite: ping, version, info, and the lists of images, networks
// and volumes a dashboard shows next to its containers.

import type { ImageSummary, Network, SystemInfo, SystemVersion, VolumeListResponse, Filters } from "../generated/types.ts";
import { request, type Engine, type LiteCallOptions } from "./engine.ts";

/** `GET /_ping`: "OK" when the engine answers. */
export function ping(engine: Engine, options: LiteCallOptions = {}): Promise<string> {
  return request(engine, "GET", "/_ping", undefined, options);
}

/** `GET /version`: the engine's version, API version, OS and components. */
export function version(engine: Engine, options: LiteCallOptions = {}): Promise<SystemVersion> {
  return request(engine, "GET", "/version", undefined, options);
}

/** `GET /info`: what `docker info` shows. */
export function info(engine: Engine, options: LiteCallOptions = {}): Promise<SystemInfo> {
  return request(engine, "GET", "/info", undefined, options);
}

/** `GET /images/json`. */
export async function listImages(engine: Engine, options: LiteCallOptions & { all?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
  const { all, filters, ...call } = options;
  return (await request<ImageSummary[] | null>(engine, "GET", "/images/json", { all, filters }, call)) ?? [];
}

/** `GET /networks`. */
export async function listNetworks(engine: Engine, options: LiteCallOptions & { filters?: Filters } = {}): Promise<Network[]> {
  const { filters, ...call } = options;
  return (await request<Network[] | null>(engine, "GET", "/networks", { filters }, call)) ?? [];
}

/** `GET /volumes`: the engine's `{ Volumes, Warnings }`. */
export function listVolumes(engine: Engine, options: LiteCallOptions & { filters?: Filters } = {}): Promise<VolumeListResponse> {
  const { filters, ...call } = options;
  return request(engine, "GET", "/volumes", { filters }, call);
}
