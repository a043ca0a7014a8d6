// The runtime-agnostic core. Adapters re-export all of this and add a `Docker` bound to a transport.

export { Docker, type DiskUsage, type DockerOptions, type RequestParams } from "./docker.ts";
export { Client, type Call, type CallOptions, type ClientOptions } from "./request/engine.ts";
export { engineFromHeaders, engineFromVersion, type EngineKind } from "./dialect/podman.ts";
export * from "./errors/errors.ts";
export type { Duplex, RequestBody, Transport, TransportRequest, TransportResponse, WebSocketLike } from "./transport/transport.ts";
export {
  Container,
  ContainerCollection,
  type AttachOptions,
  type ContainerCreateOptions,
  type ContainerListOptions,
  type LogsOptions,
  type RunOptions,
  type RunResult,
  type RunStream,
} from "./resources/containers.ts";
export { Exec, ExecSession, type ExecOptions, type ExecResult, type ExecRunOptions, type ExecStreamOptions, type OutputEncoding } from "./resources/exec.ts";
export { decodePathStat, type PathStat } from "./resources/archive.ts";
export { Session } from "./streams/live-session.ts";
export type { SummaryOf } from "./resources/handle.ts";
export { OutputStream, parseTimestamp, type LinesOptions, type OutputLine } from "./streams/output.ts";
export { JsonStream } from "./streams/json-stream.ts";
export { demuxStream, rawStream, isMultiplexed, FrameDecoder, type Frame, type StreamName } from "./streams/demux.ts";
export { jsonLines, JsonLineDecoder, type JsonLinesOptions } from "./streams/json-lines.ts";
// The tar functions load the reader and writer on first use (a page that never touches an
// archive does not carry them); Node's extractTar and packDirectory use tar.ts directly.
export { tarStream, tarBytes, readTar, readTarEntries, safeJoin, normalizeTarPath, gunzipIfNeeded } from "./streams/tar-lazy.ts";
export type { TarEntry, TarReadEntry } from "./streams/tar.ts";
export {
  Image,
  ImageCollection,
  parseImageRef,
  type BuildContext,
  type BuildOptions,
  type ImageListOptions,
  type ProgressOptions,
  type PullOptions,
  type PushOptions,
} from "./resources/images.ts";
export { BuildStream, DockerBuildError, type Builder, type BuildEvent, type BuildResult, type ContextSent } from "./buildkit/build-stream.ts";
export { builderFromEnv, type BuilderChoice } from "./buildkit/builder.ts";
export { BuildModel, type BuildStep, type BuildStepState } from "./buildkit/model.ts";
export { PlainProgress } from "./buildkit/render.ts";
export {
  decodeBuildkitTrace,
  decodeStatusResponse,
  type BuildkitStatus,
  type BuildkitVertex,
  type BuildkitVertexLog,
  type BuildkitVertexStatus,
  type BuildkitVertexWarning,
} from "./buildkit/status.ts";
export { ProgressStream, ProgressTracker, type LayerProgress, type Progress, type ProgressEvent } from "./streams/progress.ts";
export { IgnoreMatcher, parseDockerignore } from "./server/build/dockerignore.ts";
export type { ContextFileSystem, ContextOptions } from "./server/build/context.ts";
export type { CredentialSource } from "./request/engine.ts";
export {
  Network,
  NetworkCollection,
  type ContainerRef,
  type NetworkConnectOptions,
  type NetworkInspectOptions,
  type NetworkEndpoint,
  type NetworkListOptions,
} from "./resources/networks.ts";
export { Volume, VolumeCollection, type VolumeList, type VolumeListOptions, type VolumePruneOptions, type VolumeUpdateOptions } from "./resources/volumes.ts";
export { SwarmApi, type SwarmUpdateOptions } from "./resources/swarm.ts";
export { Service, ServiceCollection, type ServiceCreateOptions, type ServiceListOptions, type ServiceUpdateOptions } from "./resources/services.ts";
export { Task, TaskCollection, type SwarmLogsOptions, type TaskListOptions } from "./resources/tasks.ts";
export { Node, NodeCollection, type NodeListOptions } from "./resources/nodes.ts";
export { Secret, SecretCollection, type SecretCreateSpec, type SecretListOptions } from "./resources/secrets.ts";
export { Config, ConfigCollection, type ConfigCreateSpec, type ConfigListOptions } from "./resources/configs.ts";
export { Plugin, PluginCollection, type PluginListOptions, type PluginPullOptions } from "./resources/plugins.ts";
export type { SpecUpdate } from "./resources/versioned-update.ts";
export { encodePathParam, serializeFilters, serializeQuery } from "./request/encode.ts";
export { MAX_API_VERSION, MIN_API_VERSION, compareVersions } from "./request/version.ts";
export { parseDockerHost, formatDockerHost, type DockerHost } from "./config/host.ts";
export {
  encodeRegistryAuth,
  encodeRegistryConfig,
  registryOfImage,
  registryAuthKey,
  DOCKER_HUB_AUTH_KEY,
  type RegistryAuth,
} from "./config/registry-auth.ts";
export type * from "./generated/types.ts";
