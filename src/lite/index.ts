// berth-docker/lite: standalone functions over fetch for pages that make a few calls (a list of
// containers, start/stop buttons). Each function is bundled only when imported, so such a page
// carries a few KB instead of the whole client. Besides the handful written here, every operation
// that answers with a value or nothing is here as its generated endpoint function (containerList,
// networkCreate, ...), sent through the lite handle; for streams, exec, builds and everything
// else, use the full entry (berth-docker/browser), which can be loaded on demand with import().

export { connect, request, type Engine, type LiteCallOptions, type LiteOptions } from "./engine.ts";
export { listContainers, inspectContainer, startContainer, stopContainer, restartContainer, removeContainer, type ListContainersOptions } from "./containers.ts";
export { ping, version, info, listImages, listNetworks, listVolumes } from "./system.ts";
export type { Requester } from "../request/operation.ts";
export type { CallOptions } from "../request/engine.ts";
export * from "../generated/endpoints/config.ts";
export * from "../generated/endpoints/container.ts";
export * from "../generated/endpoints/distribution.ts";
export * from "../generated/endpoints/exec.ts";
export * from "../generated/endpoints/image.ts";
export * from "../generated/endpoints/network.ts";
export * from "../generated/endpoints/node.ts";
export * from "../generated/endpoints/plugin.ts";
export * from "../generated/endpoints/secret.ts";
export * from "../generated/endpoints/service.ts";
export * from "../generated/endpoints/swarm.ts";
export * from "../generated/endpoints/system.ts";
export * from "../generated/endpoints/task.ts";
export * from "../generated/endpoints/volume.ts";
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
  DockerVersionError,
} from "../errors/errors.ts";
export type * from "../generated/types.ts";
