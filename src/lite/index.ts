// berth-docker/lite: standalone functions over fetch for pages that make a few calls (a list of
// containers, start/stop buttons). Each function is bundled only when imported, so such a page
// carries a few KB instead of the whole client; for streams, exec, builds and everything else,
// use the full entry (berth-docker/browser), which can be loaded on demand with import().

export { connect, request, type Engine, type LiteCallOptions, type LiteOptions } from "./engine.ts";
export { listContainers, inspectContainer, startContainer, stopContainer, restartContainer, removeContainer, type ListContainersOptions } from "./containers.ts";
export { ping, version, info, listImages, listNetworks, listVolumes } from "./system.ts";
export {
  DockerError,
  DockerHttpError,
  DockerNotFoundError,
  DockerConflictError,
  DockerBadRequestError,
  DockerUnauthorizedError,
  DockerServerError,
  DockerConnectionError,
  DockerTimeoutError,
  DockerAbortError,
  DockerConfigError,
} from "../errors/errors.ts";
export type { ContainerInspectResponse, ContainerSummary, Filters, ImageSummary, Network, SystemInfo, SystemVersion, VolumeListResponse } from "../generated/types.ts";
