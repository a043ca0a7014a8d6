// The public entry: `new Docker({ transport })` in the core; adapters add `fromEnv()` and friends.

import { bodyOf } from "./streams/bytes.ts";
import { redactAddress } from "./config/redact.ts";
import { Client, type CallOptions, type ClientOptions } from "./request/engine.ts";
import type {
  Operations,
  OperationKey,
  AuthConfig,
  BuildCache,
  ContainerSummary,
  EventMessage,
  Filters,
  ImageSummary,
  SystemDataUsageResponse,
  SystemInfo,
  Volume,
  SystemVersion,
} from "./generated/types.ts";
import { ContainerCollection } from "./resources/containers.ts";
import { ImageCollection } from "./resources/images.ts";
import { ConfigCollection } from "./resources/configs.ts";
import { NetworkCollection } from "./resources/networks.ts";
import { NodeCollection } from "./resources/nodes.ts";
import { PluginCollection } from "./resources/plugins.ts";
import { SecretCollection } from "./resources/secrets.ts";
import { ServiceCollection } from "./resources/services.ts";
import { SwarmApi } from "./resources/swarm.ts";
import { TaskCollection } from "./resources/tasks.ts";
import { VolumeCollection } from "./resources/volumes.ts";
import type { UpgradedConnection } from "./transport/http/upgrade.ts";
import { JsonStream } from "./streams/json-stream.ts";
import type { EngineKind } from "./dialect/podman.ts";
import type { TransportResponse } from "./transport/transport.ts";
import { systemAuth, systemDataUsage, systemInfo, systemVersion } from "./generated/endpoints/system.ts";

export type DockerOptions = ClientOptions;

/**
 * `docker system df`. Engines before API 1.52 answer with the flat lists (`Images`, `Containers`,
 * `Volumes`, `BuildCache`, `LayersSize`); newer ones with the `*Usage` summaries.
 */
export type DiskUsage = SystemDataUsageResponse & {
  LayersSize?: number;
  Images?: ImageSummary[];
  Containers?: ContainerSummary[];
  Volumes?: Volume[];
  BuildCache?: BuildCache[];
};

type Empty<T> = [keyof T] extends [never] ? true : false;

/** Parameters of a raw typed call; `path`/`query`/`body` are typed from the spec. */
export type RequestParams<K extends OperationKey> = CallOptions &
  (Empty<Operations[K]["path"]> extends true ? { path?: undefined } : { path: Operations[K]["path"] }) & {
    query?: Operations[K]["query"];
    body?: Operations[K]["body"];
  };

type ParamsArg<K extends OperationKey> = Empty<Operations[K]["path"]> extends true
  ? [params?: RequestParams<K>]
  : [params: RequestParams<K>];

export class Docker {
  /** @internal The request engine shared by every resource. */
  readonly client: Client;
  readonly containers: ContainerCollection;
  readonly images: ImageCollection;
  readonly networks: NetworkCollection;
  readonly volumes: VolumeCollection;
  // Swarm and plugin collections are made on first use: most programs never touch them.
  #swarm: SwarmApi | undefined;
  #services: ServiceCollection | undefined;
  #tasks: TaskCollection | undefined;
  #nodes: NodeCollection | undefined;
  #secrets: SecretCollection | undefined;
  #configs: ConfigCollection | undefined;
  #plugins: PluginCollection | undefined;

  constructor(options: DockerOptions) {
    this.client = new Client(options);
    this.containers = new ContainerCollection(this.client);
    this.images = new ImageCollection(this.client);
    this.containers.pullImage = (image, options) => this.images.pull(image, options);
    this.networks = new NetworkCollection(this.client);
    this.volumes = new VolumeCollection(this.client);
  }

  /** This engine's swarm membership: init, join, inspect, update, leave. */
  get swarm(): SwarmApi {
    return (this.#swarm ??= new SwarmApi(this.client));
  }
  get services(): ServiceCollection {
    return (this.#services ??= new ServiceCollection(this.client));
  }
  get tasks(): TaskCollection {
    return (this.#tasks ??= new TaskCollection(this.client));
  }
  get nodes(): NodeCollection {
    return (this.#nodes ??= new NodeCollection(this.client));
  }
  get secrets(): SecretCollection {
    return (this.#secrets ??= new SecretCollection(this.client));
  }
  get configs(): ConfigCollection {
    return (this.#configs ??= new ConfigCollection(this.client));
  }
  get plugins(): PluginCollection {
    return (this.#plugins ??= new PluginCollection(this.client));
  }

  /** Where this client connects, e.g. `unix:///var/run/docker.sock` (a password shows as `***`). */
  get address(): string {
    return redactAddress(this.client.transport.address);
  }

  /** `JSON.stringify(docker)` shows where it connects, and nothing of its transport or credentials. */
  toJSON(): { address: string } {
    return { address: this.address };
  }

  /**
   * Where pull, push, build and service create find registry credentials when given none. On
   * Node a CredentialResolver over the Docker config (auths, credsStore, credHelpers):
   * `await docker.credentials?.forImage("registry.example.com/app")`. Assign to replace it.
   */
  get credentials(): Client["credentials"] {
    return this.client.credentials;
  }
  set credentials(source: Client["credentials"]) {
    this.client.credentials = source;
  }

  /** The API version in use (negotiated with the engine on first use, or pinned). */
  apiVersion(): Promise<string> {
    return this.client.apiVersion();
  }

  /** `GET /_ping` (or `HEAD` with `{ method: "HEAD" }`): resolves to "OK" (or "") when the engine is up. */
  ping(options: CallOptions & { method?: "GET" | "HEAD" } = {}): Promise<string> {
    const { method = "GET", ...call } = options;
    return this.client.send({ ...call, method, path: "/_ping" }).then((r) => r.text());
  }

  /**
   * Checks credentials against a registry (`docker login`), returning the engine's status and,
   * for OAuth registries, an identity token to use instead of the password.
   */
  async auth(config: AuthConfig, options: CallOptions = {}): Promise<{ Status: string; IdentityToken?: string }> {
    // The spec allows an empty answer (204): engines that send none mean the login succeeded.
    const result = (await systemAuth(this.client, config, options)) as { Status: string; IdentityToken?: string } | undefined;
    return result ?? { Status: "Login Succeeded" };
  }

  /**
   * Opens an interactive session (`POST /session`, used by BuildKit clients): the connection is
   * upgraded to `h2c` and handed over raw; speaking gRPC on it is the caller's part.
   */
  session(options: CallOptions = {}): Promise<UpgradedConnection> {
    return this.client.hijack({ ...options, method: "POST", path: "/session", upgradeProtocol: "h2c" });
  }

  /** Engine and API versions, OS, architecture (`docker version`). */
  version(options: CallOptions = {}): Promise<SystemVersion> {
    return systemVersion(this.client, options);
  }

  /**
   * Which engine serves the API: `"podman"` for Podman's Docker-compatible service, else
   * `"docker"`. Known from the replies seen so far, else asked once (`GET /version`); cached.
   * Podman differs from dockerd in places: docs/podman.md lists where, and what berth does.
   */
  engine(options: CallOptions = {}): Promise<EngineKind> {
    return this.client.engine(options);
  }

  /** True when the engine is Podman (`await docker.engine() === "podman"`). */
  isPodman(options: CallOptions = {}): Promise<boolean> {
    return this.client.isPodman(options);
  }

  /** System-wide information (`docker info`). */
  info(options: CallOptions = {}): Promise<SystemInfo> {
    return systemInfo(this.client, options);
  }

  /** Disk usage of images, containers, volumes and build cache (`docker system df`). */
  df(options: CallOptions & { type?: Array<"container" | "image" | "volume" | "build-cache"> } = {}): Promise<DiskUsage> {
    return systemDataUsage(this.client, options);
  }

  /**
   * Engine events (`docker events`) as an async iterable. Without `until` it runs until
   * cancelled: `break`, `cancel()`, or the signal.
   */
  async events(options: CallOptions & { filters?: Filters; since?: Date | number | string; until?: Date | number | string } = {}): Promise<JsonStream<EventMessage>> {
    const { filters, since, until, ...call } = options;
    const response = await this.client.send({ ...call, method: "GET", path: "/events", query: { filters, since, until }, stream: true });
    return new JsonStream<EventMessage>(bodyOf(response), { errorOnInBandError: false });
  }

  /**
   * Calls any operation of the Engine API by its spec key, typed from the spec:
   * `docker.request("GET /containers/{id}/json", { path: { id } })`. JSON answers are parsed;
   * use `requestRaw` for streams and binary answers.
   */
  async request<K extends OperationKey>(key: K, ...[params]: ParamsArg<K>): Promise<Operations[K]["response"]> {
    const response = await this.requestRaw(key, ...([params] as ParamsArg<K>));
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    if (text === "") return undefined as Operations[K]["response"];
    return (type.includes("json") ? JSON.parse(text) : text) as Operations[K]["response"];
  }

  /** Like `request`, but resolves with the raw response (status, headers, body stream). */
  requestRaw<K extends OperationKey>(key: K, ...[params]: ParamsArg<K>): Promise<TransportResponse> {
    const space = key.indexOf(" ");
    const { path, query, body, ...call } = (params ?? {}) as RequestParams<K>;
    return this.client.send({
      ...call,
      method: key.slice(0, space),
      path: key.slice(space + 1),
      params: path as Record<string, unknown> | undefined,
      query: query as Record<string, unknown> | undefined,
      body,
    });
  }

  /** Releases pooled connections (lets a Node process exit at once). */
  async close(): Promise<void> {
    await this.client.transport.close?.();
  }
}
