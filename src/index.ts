// The runtime-agnostic core. Adapters re-export all of this and add a `Docker` bound to a transport.

export { Docker, type DiskUsage, type DockerOptions, type RequestParams } from "./docker.ts";
export { Client, type Call, type CallOptions, type ClientOptions } from "./client.ts";
export * from "./errors.ts";
export type { Duplex, RequestBody, Transport, TransportRequest, TransportResponse, WebSocketLike } from "./transport.ts";
export { Container, ContainerCollection, type ContainerCreateOptions, type ContainerListOptions } from "./resources/containers.ts";
export { Image, ImageCollection, type ImageListOptions } from "./resources/images.ts";
export { encodePathParam, serializeFilters, serializeQuery } from "./request.ts";
export { MAX_API_VERSION, MIN_API_VERSION, compareVersions } from "./version.ts";
export { parseDockerHost, type DockerHost } from "./config/host.ts";
export type * from "./generated/types.ts";
