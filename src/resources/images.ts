// Images: the collection (`docker.images`) and the handle (`Image`).

import { bodyOf } from "../streams/bytes.ts";
import type { CallOptions, Client } from "../request/engine.ts";
import type { RegistryAuth } from "../config/registry-auth.ts";
import { withImageAuth } from "./registry-auth-header.ts";
import { DockerConfigError, DockerUnsupportedError } from "../errors/errors.ts";
import { ProgressStream, type Progress, type ProgressEvent } from "../streams/progress.ts";
import type { TarEntry } from "../streams/tar.ts";
import { checkArchiveInput } from "./archive.ts";
import { Collection, Handle, checkId, type Routes } from "./handle.ts";
import type { BuildStream, BuildEvent, BuildResult } from "../buildkit/build-stream.ts";
import type { BuilderChoice } from "../buildkit/builder.ts";
import type { BuildSecret, BuildSsh } from "../buildkit/session/options.ts";
import type {
  Filters,
  ImageDeleteResponse,
  ImageHistoryResponse,
  ImageInspect,
  ImagePruneResponse,
  ImageSearchResponse,
  ImageSummary,
  DistributionInspect,
  BuildPruneResponse,
  ImageAttestationsResponse,
} from "../generated/types.ts";
import { distributionInspect } from "../generated/endpoints/distribution.ts";
import { imageAttestations, imageDelete, imageHistory, imageInspect, imageList, imagePrune, imageSearch, imageTag, type ImagePruneOptions } from "../generated/endpoints/image.ts";

/**
 * A build context: a tar (stream, bytes, Blob), tar entries, or a directory on disk, given as its
 * path (`"./app"`, as docker-py's `path=`) or as `{ directory }`. A directory needs file access
 * (Node, Bun, Deno); elsewhere it is a DockerUnsupportedError.
 */
export type BuildContext =
  | string
  | ReadableStream<Uint8Array>
  | Uint8Array
  | Blob
  | Iterable<TarEntry>
  | AsyncIterable<TarEntry>
  | { directory: string };

/** A tar to upload (load, import): a stream, bytes, a Blob, or a file's path (server runtimes). */
export type UploadSource = ReadableStream<Uint8Array> | Uint8Array | Blob | string;

export interface ProgressOptions extends CallOptions {
  /** Called on every event with the running totals. */
  onProgress?: (progress: Progress, event: ProgressEvent) => void;
}

export interface PullOptions extends ProgressOptions {
  /** Platform to pull, e.g. `linux/arm64`. */
  platform?: string;
  /** Pull every tag of the repository. */
  allTags?: boolean;
  /** Registry credentials; by default they come from the Docker config (credentials store). */
  auth?: RegistryAuth | string;
}

export interface PushOptions extends ProgressOptions {
  auth?: RegistryAuth | string;
  platform?: string;
}

export interface BuildOptions extends ProgressOptions {
  /**
   * `buildkit` (`RUN --mount`, parallel stages, typed step progress), `classic`, or `auto` (the
   * default): BuildKit where the engine builds with it by default (`Builder-Version: 2` in its
   * /_ping: Docker 23+), else classic. `DOCKER_BUILDKIT=1|0` sets the default in `fromEnv()`.
   */
  builder?: BuilderChoice;
  /** Called with every build event and the build so far (`steps` is the running model). */
  onEvent?: (event: BuildEvent, build: BuildStream) => void;
  /**
   * Secrets for `RUN --mount=type=secret,id=ID` (BuildKit), by id: the value as text or bytes,
   * `{ file }` or `{ env }` (read when the engine asks). Never part of the image, the build
   * request or an error. Needs a build session (Node, Bun, Deno).
   */
  secrets?: Record<string, BuildSecret>;
  /**
   * SSH agents for `RUN --mount=type=ssh` (BuildKit): `true` forwards `SSH_AUTH_SOCK` (of the
   * `env` given to `fromEnv`, else the process's) as the `default` agent; `{ id: socketPath }` names them. Needs a build session (Node, Bun, Deno).
   */
  ssh?: BuildSsh;
  /**
   * Whether a BuildKit build opens a build session, through which the engine asks for secrets,
   * ssh agents, registry credentials (private base images) and a directory context's files.
   * Default: yes where the runtime can serve one (Node, Bun, Deno); `false` builds without (then
   * no secrets, ssh or session auth, and a directory goes as a tar).
   */
  session?: boolean;
  /**
   * How a directory context reaches a BuildKit build: `"session"` (the default where a session
   * can open: Node, Bun, Deno) serves its files through the build session as the engine asks for
   * them, so what .dockerignore names is never read or sent and a rebuild sends only what
   * changed; `"tar"` sends the whole context in the request body first, as the classic builder
   * always gets it. A context given as a tar or tar entries is always sent as it is. Left out,
   * a build that cannot open a session sends the tar; `"session"` refuses to (DockerConfigError,
   * or DockerUnsupportedError naming why no session opens).
   */
  contextTransfer?: "session" | "tar";
  /** BuildKit exporters, as the engine takes them: `[{ Type: "moby", Attrs: { ... } }]`. */
  outputs?: Array<{ Type: string; Attrs?: Record<string, string> }>;
  /** Tag(s) for the image. */
  tag?: string | string[];
  /** Dockerfile path: in the context, or (with a directory context) absolute, possibly outside it. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  cacheFrom?: string[];
  /** `host:ip` entries for /etc/hosts. */
  extraHosts?: string[];
  networkMode?: string;
  platform?: string;
  /** Always pull the base image. */
  pull?: boolean;
  noCache?: boolean;
  /** Remove intermediate containers (default true, as in the engine). */
  rm?: boolean;
  /**
   * Remove intermediate containers even when a step fails (default true, unlike the engine and
   * the Docker CLI's `--force-rm`): see docs/api.md, "Builds".
   */
  forceRm?: boolean;
  /** Suppress verbose build output. */
  quiet?: boolean;
  /** Credentials for private base images, by registry key. */
  registryConfig?: Record<string, RegistryAuth>;
  /**
   * Pass config.json's `proxies` for this engine as build arguments (HTTP_PROXY, http_proxy, ...
   * where `buildArgs` does not set them), as the Docker CLI and docker-py do. Default true.
   */
  useConfigProxy?: boolean;
  /**
   * Compress the context with gzip on the way (`docker build --compress`): less to send to a
   * remote engine, more CPU on both sides. Both builders accept it. A tar context only: a directory
   * served through the build session sends just the files the engine asks for.
   */
  gzip?: boolean;
  /** Size of /dev/shm in the build's containers (`--shm-size`): bytes or `"64m"`, as run()'s `memory`. */
  shmSize?: number | string;
  /** Memory limit of the build's containers (`-m`): bytes or `"700M"`. The classic builder applies it. */
  memory?: number | string;
  /** Memory plus swap (`--memory-swap`): bytes, `"1g"`, or -1 for unlimited swap. */
  memswap?: number | string;
  /** CPU shares, relative weight (`--cpu-shares`). */
  cpuShares?: number;
  /** CPUs the build may use, `"0-3"` or `"0,1"` (`--cpuset-cpus`). */
  cpuSetCpus?: string;
  /** Memory nodes (NUMA) the build may use (`--cpuset-mems`). */
  cpuSetMems?: string;
  /** CFS period in microseconds (`--cpu-period`). */
  cpuPeriod?: number;
  /** CFS quota in microseconds per period (`--cpu-quota`). */
  cpuQuota?: number;
  /** Isolation technology (`--isolation`): `default`, `process` or `hyperv` (Windows engines). */
  isolation?: "default" | "process" | "hyperv";
  /** Further engine parameters, sent as they are. */
  query?: Record<string, unknown>;
}


/** Splits `name[:tag][@digest]` (a colon before the last slash is a registry port). */
export function parseImageRef(ref: string): { name: string; tag?: string; digest?: string } {
  let name = ref;
  let digest: string | undefined;
  const at = name.indexOf("@");
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  return { name, tag, digest };
}

export interface ImageListOptions extends CallOptions {
  all?: boolean;
  filters?: Filters;
  digests?: boolean;
  sharedSize?: boolean;
}

/** `docker.images`: list, get by name, tag or id, ref, pull, push, build, import, load, save, search, prune. */
export class ImageCollection extends Collection<Image, ImageListOptions> {
  constructor(client: Client) {
    super(client, Image);
  }

  /**
   * Pulls an image (`docker pull`) and resolves with it once complete. `ref` may carry a tag or a
   * digest (`repo@sha256:...`); without either, `latest`. With `allTags`, every tag of the
   * repository, resolving with the repository's images as the engine then lists them.
   * Progress: `onProgress`, or use `pullStream` to iterate the events.
   */
  pull(ref: string, options: PullOptions & { allTags: true }): Promise<Image[]>;
  pull(ref: string, options?: PullOptions & { allTags?: false }): Promise<Image>;
  async pull(ref: string, options: PullOptions = {}): Promise<Image | Image[]> {
    await (await this.pullStream(ref, options)).done();
    const { name, tag, digest } = parseImageRef(ref);
    const call = { signal: options.signal, timeout: options.timeout };
    // As docker-py: the repository's images (`docker images NAME` lists every tag of it).
    if (options.allTags) return this.list({ ...call, filters: { reference: [name] } });
    return this.get(digest ? `${name}@${digest}` : `${name}:${tag ?? "latest"}`, call);
  }

  /** Pulls an image, as a stream of progress events with running totals (`progress`). */
  async pullStream(ref: string, options: PullOptions = {}): Promise<ProgressStream> {
    checkId(ref, "images.pull()", 'an image reference such as "busybox" or "registry.example.com/app:1"');
    const { platform, allTags, auth, onProgress, ...call } = options;
    const { name, tag, digest } = parseImageRef(ref);
    if (allTags && !(await this.client.dialect(call)).pullsAllTags) {
      // Podman's Docker API pulls only `latest` for a repository without a tag (docs/podman.md).
      throw new DockerUnsupportedError(`images.pull("${name}", { allTags: true }): Podman's Docker-compatible API pulls only ${name}:latest this way; pull each tag by name instead`);
    }
    const headers = await withImageAuth(this.client, ref, auth, call.headers);
    const response = await this.client.send({
      ...call,
      headers,
      method: "POST",
      path: "/images/create",
      query: { fromImage: name, tag: digest ?? (allTags ? undefined : tag ?? "latest"), platform },
    });
    return new ProgressStream(bodyOf(response), onProgress);
  }

  /**
   * Imports a root filesystem tarball as an image (`docker import`): a tar (stream, bytes, Blob),
   * a file's path (server runtimes), or an `http(s)://` URL the engine downloads itself.
   */
  async import(source: UploadSource, options: ProgressOptions & { repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string } = {}): Promise<ProgressEvent[]> {
    const url = typeof source === "string" && /^https?:\/\//i.test(source) ? source : undefined;
    const body = url === undefined ? await this.#upload(source, "images.import()", "a file's path, an http(s):// URL") : undefined;
    const { repo, tag, message, changes, platform, onProgress, ...call } = options;
    // The tag travels inside `repo` (`name:tag`), as the Docker CLI sends it: Podman ignores a
    // separate `tag` parameter and would name the image `name:latest`.
    const named = repo !== undefined && tag !== undefined ? { repo: `${repo}:${tag}` } : { repo, tag };
    const response = await this.client.send({
      ...call,
      method: "POST",
      path: "/images/create",
      query: { fromSrc: url ?? "-", ...named, message, changes, platform },
      body,
      contentType: body === undefined ? undefined : "application/x-tar",
    });
    return new ProgressStream(bodyOf(response), onProgress).done();
  }

  /** An upload's tar: the given one, checked, or a file's contents read through the runtime's file access. */
  async #upload(source: UploadSource, what: string, otherForms = "a file's path"): Promise<ReadableStream<Uint8Array> | Uint8Array | Blob> {
    if (typeof source !== "string" || source === "") {
      checkArchiveInput(source, what, false, otherForms);
      return source as ReadableStream<Uint8Array> | Uint8Array | Blob;
    }
    const fs = this.client.fileSystem;
    if (!fs) throw new DockerUnsupportedError(`${what} of a file ("${source}") needs file access, which this runtime's adapter does not provide: pass the tar as a ReadableStream, Uint8Array or Blob`);
    const stat = await fs.lstat(source).catch((err: unknown) => {
      throw new DockerConfigError(`${what}: cannot read "${source}": ${(err as Error)?.message ?? err}`, { cause: err });
    });
    if (stat.kind === "directory") throw new DockerConfigError(`${what}: "${source}" is a directory; expected a tar file`);
    return fs.open(source);
  }

  /**
   * Builds an image and resolves with its id, the steps as they ended and the output. A failing
   * step rejects with a DockerBuildError naming the step, its exit code and its last output lines.
   */
  async build(context: BuildContext, options: BuildOptions = {}): Promise<BuildResult> {
    return (await this.buildStream(context, options)).done();
  }

  /**
   * Builds an image, as a stream of typed build events (steps, byte progress, step output,
   * warnings, the image id) with the running model in `steps`, for either builder.
   */
  async buildStream(context: BuildContext, options: BuildOptions = {}): Promise<BuildStream> {
    // The build call and BuildKit's progress model load with the first build: a page that never
    // builds does not carry them (a bundler that splits puts them in a chunk of their own).
    return (await import("../buildkit/build.ts")).buildStream(this.client, context, options);
  }


  /**
   * Loads images from a `docker save` tarball (`docker load`): a tar (stream, bytes, Blob) or a
   * file's path (server runtimes). Resolves with the loaded images (each inspected, as docker-py
   * does), from the engine's "Loaded image: NAME" and "Loaded image ID: ID" lines, and the events.
   */
  async load(source: UploadSource, options: ProgressOptions & { quiet?: boolean } = {}): Promise<{ images: Image[]; events: ProgressEvent[] }> {
    const body = await this.#upload(source, "images.load()");
    const { quiet, onProgress, ...call } = options;
    const response = await this.client.send({ timeout: 0, ...call, method: "POST", path: "/images/load", query: { quiet }, body, contentType: "application/x-tar" });
    const events = await new ProgressStream(bodyOf(response), onProgress).done();
    const images: Image[] = [];
    for (const name of loadedNames(events)) images.push(await this.get(name, { signal: call.signal, timeout: call.timeout }));
    return { images, events };
  }

  /** Several images in one `docker save` tarball, streamed. */
  async save(names: string[], options: CallOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.client.send({ ...options, method: "GET", path: "/images/get", query: { names } });
    return bodyOf(response);
  }

  /** Searches Docker Hub (or the engine's configured index). */
  search(term: string, options: CallOptions & { limit?: number; filters?: Filters } = {}): Promise<ImageSearchResponse> {
    const { limit, filters, ...call } = options;
    return imageSearch(this.client, { ...call, term, limit, filters });
  }

  /** Manifest and platforms of an image in its registry, without pulling it. */
  async distribution(ref: string, options: CallOptions & { auth?: RegistryAuth | string } = {}): Promise<DistributionInspect> {
    const { auth, ...call } = options;
    const headers = await withImageAuth(this.client, ref, auth, call.headers);
    return distributionInspect(this.client, ref, { ...call, headers });
  }

  /** Removes build cache (`docker builder prune`). */
  pruneBuildCache(options: CallOptions & { all?: boolean; filters?: Filters; keepStorage?: number } = {}): Promise<BuildPruneResponse> {
    const { all, filters, keepStorage, ...call } = options;
    return this.client.json({ ...call, method: "POST", path: "/build/prune", query: { all, filters, "keep-storage": keepStorage } });
  }

  /** Removes unused images (dangling only unless `filters: { dangling: false }`). */
  prune(options: ImagePruneOptions = {}): Promise<ImagePruneResponse> {
    return imagePrune(this.client, options);
  }
}

/** An image. `attrs` holds what the engine last said about it; `id` is its id or the name the handle was made from. */
export class Image extends Handle<ImageSummary | ImageInspect, ImageInspect> {
  /** @internal */
  protected static override readonly routes: Routes = { name: "image", list: imageList, inspect: imageInspect, id: ["Id"] };

  /**
   * The reference the handle was made from (`127.0.0.1:5000/app:1`, `busybox`), kept when
   * `reload()` replaces `id` with the image id: push, tag and save act on it, as the CLI does
   * with the name it was given. Undefined for a handle made from an image id (list items).
   */
  readonly reference: string | undefined;

  constructor(client: Client, id: string, attrs?: ImageSummary | ImageInspect) {
    super(client, id, attrs);
    this.reference = IMAGE_ID.test(id) ? undefined : id;
  }

  /** The name to act on: the reference, else the image id. */
  #name(): string {
    return this.reference ?? this.id;
  }

  /** Repository tags, if known. */
  get tags(): string[] {
    return (this.attrs as { RepoTags?: string[] } | undefined)?.RepoTags ?? [];
  }

  /** Tags the image as `repo[:tag]` (`docker tag`). */
  async tag(repo: string, tag?: string, options: CallOptions = {}): Promise<void> {
    checkId(repo, "image.tag()", 'a repository such as "app" or "registry.example.com/app:1"');
    if (tag === undefined) {
      // Accept "repo:tag" in one string, like the CLI.
      ({ name: repo, tag } = parseImageRef(repo));
    }
    return imageTag(this.client, this.#name(), { ...options, repo, tag });
  }

  /** Removes the image (`docker rmi`). Returns the untagged and deleted references. */
  remove(options: CallOptions & { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponse> {
    return imageDelete(this.client, this.id, options);
  }

  /** Pushes the image (`docker push`); resolves with the pushed digest when the engine reports it. */
  async push(options: PushOptions & { tag?: string } = {}): Promise<{ digest?: string; events: ProgressEvent[] }> {
    const events = await (await this.pushStream(options)).done();
    let digest: string | undefined;
    let fromStatus: string | undefined;
    for (const e of events) {
      const d = (e.aux as { Digest?: string } | undefined)?.Digest;
      if (typeof d === "string") digest = d;
      // Podman sends no aux record, only the status line dockerd also writes: "TAG: digest: sha256:... size: N".
      const m = typeof e.status === "string" ? /\bdigest: (sha256:[0-9a-f]{64})\b/.exec(e.status) : null;
      if (m) fromStatus = m[1];
    }
    return { digest: digest ?? fromStatus, events };
  }

  /**
   * What push names: the reference, else the one repository tag a list item carries. A handle
   * known only by id has no repository to push to (it used to push one named `sha256`).
   */
  #pushReference(): string {
    if (this.reference !== undefined) return this.reference;
    const tags = this.tags.filter((t) => t !== "<none>:<none>");
    if (tags.length === 1) return tags[0]!;
    throw new DockerConfigError(
      `Image ${this.id.slice(0, 19)} is known here by its id, which names no repository to push to${tags.length > 1 ? ` (it has ${tags.length} tags)` : ""}: ` +
        'push a handle got by name, e.g. docker.images.get("registry.example.com/app:1").push()',
    );
  }

  /** Pushes the image, as a stream of progress events. */
  async pushStream(options: PushOptions & { tag?: string } = {}): Promise<ProgressStream> {
    const { auth, platform, tag: explicitTag, onProgress, ...call } = options;
    const ref = this.#pushReference();
    const { name, tag } = parseImageRef(ref);
    const headers = await withImageAuth(this.client, ref, auth, call.headers, true);
    const response = await this.client.send({
      ...call,
      headers,
      method: "POST",
      path: "/images/{name}/push",
      params: { name },
      query: { tag: explicitTag ?? tag, platform },
    });
    return new ProgressStream(bodyOf(response), onProgress);
  }

  /** The image as a `docker save` tarball, streamed. */
  async save(options: CallOptions = {}): Promise<ReadableStream<Uint8Array>> {
    // By name, so the tarball's manifest carries the repository and tag (by id it carries none).
    const response = await this.client.send({ ...options, method: "GET", path: "/images/{name}/get", params: { name: this.#name() } });
    return bodyOf(response);
  }

  /** Attestations (SBOM, provenance) of the image's platforms (API 1.55+). */
  attestations(options: CallOptions & { platform?: string[]; type?: string[]; statement?: boolean } = {}): Promise<ImageAttestationsResponse> {
    return imageAttestations(this.client, this.id, options);
  }

  /** The image's layers and the commands that made them. */
  history(options: CallOptions = {}): Promise<ImageHistoryResponse> {
    return imageHistory(this.client, this.id, options);
  }
}

/**
 * What `docker load` says it loaded: `Loaded image: app:1` (a tagged image), `Loaded image ID:
 * sha256:...` (an untagged one), Podman's `Loaded image(s): a,b` (or `Loaded image: a`).
 */
export function loadedNames(events: ProgressEvent[]): string[] {
  const names: string[] = [];
  for (const event of events) {
    const text = typeof event.stream === "string" ? event.stream : "";
    for (const line of text.split("\n")) {
      const m = /^Loaded image(?: ID|\(s\))?: (.+)$/.exec(line.trim());
      if (!m) continue;
      for (const name of m[1]!.split(",")) if (name.trim() !== "" && !names.includes(name.trim())) names.push(name.trim());
    }
  }
  return names;
}

/** An image id, full length, with or without its algorithm. */
const IMAGE_ID = /^(sha256:)?[0-9a-f]{64}$/;




