// Images: the collection (`docker.images`) and the handle (`Image`).

import { bodyOf } from "../streams/bytes.ts";
import type { CallOptions, Client } from "../client.ts";
import { encodeRegistryConfig, type RegistryAuth } from "../config/registry-auth.ts";
import { withImageAuth } from "./registry-auth-header.ts";
import { DockerStreamError, DockerUnsupportedError } from "../errors.ts";
import { ProgressStream, type Progress, type ProgressEvent } from "../streams/progress.ts";
import { archiveBody } from "../streams/archive-body.ts";
import type { TarEntry } from "../streams/tar.ts";
import { Collection, Handle, type Routes } from "./handle.ts";
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

/** A build context: a tar (stream, bytes, Blob), tar entries, or a directory on disk. */
export type BuildContext =
  | ReadableStream<Uint8Array>
  | Uint8Array
  | Blob
  | Iterable<TarEntry>
  | AsyncIterable<TarEntry>
  | { directory: string };

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
  forceRm?: boolean;
  /** Suppress verbose build output. */
  quiet?: boolean;
  /** Credentials for private base images, by registry key. */
  registryConfig?: Record<string, RegistryAuth>;
  /** Further engine parameters (memory, cpushares, shmsize, ...). */
  query?: Record<string, unknown>;
}

export interface BuildResult {
  /** The built image's id (`sha256:...`). */
  id: string;
  /** Build output text. */
  output: string;
  events: ProgressEvent[];
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

  /** One request for the whole list. (Not the shared list: the engine spells `sharedSize` `shared-size`.) */
  override async list(options: ImageListOptions = {}): Promise<Image[]> {
    const { all, filters, digests, sharedSize, ...call } = options;
    const items = await this.client.json<ImageSummary[]>({
      ...call,
      method: "GET",
      path: "/images/json",
      query: { all, filters, digests, "shared-size": sharedSize },
    });
    return items.map((summary) => new Image(this.client, summary.Id, summary));
  }

  /**
   * Pulls an image (`docker pull`) and resolves with it once complete. `ref` may carry a tag or a
   * digest (`repo@sha256:...`); without either, `latest` (or every tag with `allTags`).
   * Progress: `onProgress`, or use `pullStream` to iterate the events.
   */
  async pull(ref: string, options: PullOptions = {}): Promise<Image> {
    await (await this.pullStream(ref, options)).done();
    const { name, tag, digest } = parseImageRef(ref);
    if (options.allTags) return new Image(this.client, name);
    return this.get(digest ? `${name}@${digest}` : `${name}:${tag ?? "latest"}`, { signal: options.signal });
  }

  /** Pulls an image, as a stream of progress events with running totals (`progress`). */
  async pullStream(ref: string, options: PullOptions = {}): Promise<ProgressStream> {
    const { platform, allTags, auth, onProgress, ...call } = options;
    const { name, tag, digest } = parseImageRef(ref);
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

  /** Imports a root filesystem tarball as an image (`docker import`). */
  async import(source: ReadableStream<Uint8Array> | Uint8Array | Blob, options: ProgressOptions & { repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string } = {}): Promise<ProgressEvent[]> {
    const { repo, tag, message, changes, platform, onProgress, ...call } = options;
    // The tag travels inside `repo` (`name:tag`), as the Docker CLI sends it: Podman ignores a
    // separate `tag` parameter and would name the image `name:latest`.
    const named = repo !== undefined && tag !== undefined ? { repo: `${repo}:${tag}` } : { repo, tag };
    const response = await this.client.send({
      ...call,
      method: "POST",
      path: "/images/create",
      query: { fromSrc: "-", ...named, message, changes, platform },
      body: source,
      contentType: "application/x-tar",
    });
    return new ProgressStream(bodyOf(response), onProgress).done();
  }

  /**
   * Builds an image with the classic builder (`POST /build`) and resolves with its id. A failing
   * step rejects with a DockerStreamError carrying the daemon's message.
   */
  async build(context: BuildContext, options: BuildOptions = {}): Promise<BuildResult> {
    const stream = await this.buildStream(context, options);
    const events = await stream.done();
    let id: string | undefined;
    let output = "";
    for (const e of events) {
      if (typeof e.stream === "string") {
        output += e.stream;
        const m = /Successfully built ([0-9a-f]+)/.exec(e.stream);
        if (m && !id) id = m[1];
      }
      const auxId = (e.aux as { ID?: string } | undefined)?.ID;
      if (typeof auxId === "string") id = auxId;
    }
    if (!id) throw new DockerStreamError(`The build ended without an image id: ${output.trim().split("\n").slice(-3).join(" / ")}`);
    return { id, output, events };
  }

  /** Builds an image, as a stream of build events (`stream` lines, `aux` with the id). */
  async buildStream(context: BuildContext, options: BuildOptions = {}): Promise<ProgressStream> {
    const { tag, dockerfile, buildArgs, labels, target, cacheFrom, extraHosts, networkMode, platform, pull, noCache, rm, forceRm, quiet, registryConfig, query, onProgress, ...call } = options;
    let body: ReadableStream<Uint8Array> | Uint8Array | Blob;
    let dockerfileParam = dockerfile;
    if (isDirectory(context)) {
      const fs = this.client.fileSystem;
      if (!fs) throw new DockerUnsupportedError("Building from a directory needs file access, which this runtime's adapter does not provide: pass a tar stream or entries");
      // Loaded on demand: browsers (no file system) never need the directory walker.
      const { packContext } = await import("../build/context.ts");
      const packed = await packContext(fs, context.directory, { dockerfile });
      body = (await archiveBody(packed.entries)) as ReadableStream<Uint8Array>;
      dockerfileParam = packed.dockerfile;
    } else {
      body = (await archiveBody(context)) as ReadableStream<Uint8Array> | Uint8Array | Blob;
    }
    const headers: Record<string, string> = { ...call.headers };
    // Private base images: the given credentials, else every registry the credential source knows.
    const auths = registryConfig ?? (await this.client.credentials?.all?.());
    if (auths && Object.keys(auths).length > 0) headers["X-Registry-Config"] = encodeRegistryConfig(auths);
    const response = await this.client.send({
      // A build may take long before the engine answers at all (it reads the whole context first).
      timeout: 0,
      ...call,
      headers,
      method: "POST",
      path: "/build",
      query: {
        t: tag,
        dockerfile: dockerfileParam,
        buildargs: buildArgs,
        labels,
        target,
        cachefrom: cacheFrom ? JSON.stringify(cacheFrom) : undefined,
        // dockerd reads one `extrahosts` parameter per entry; Podman reads a single JSON list.
        extrahosts: extraHosts && extraHosts.length > 0 ? ((await this.client.isPodman()) ? JSON.stringify(extraHosts) : extraHosts) : undefined,
        networkmode: networkMode,
        platform,
        pull,
        nocache: noCache,
        rm,
        forcerm: forceRm,
        q: quiet,
        ...query,
      },
      body,
      contentType: "application/x-tar",
    });
    return new ProgressStream(bodyOf(response), onProgress);
  }

  /** Loads images from a `docker save` tarball (`docker load`). */
  async load(source: ReadableStream<Uint8Array> | Uint8Array | Blob, options: ProgressOptions & { quiet?: boolean } = {}): Promise<ProgressEvent[]> {
    const { quiet, onProgress, ...call } = options;
    const response = await this.client.send({ timeout: 0, ...call, method: "POST", path: "/images/load", query: { quiet }, body: source, contentType: "application/x-tar" });
    return new ProgressStream(bodyOf(response), onProgress).done();
  }

  /** Several images in one `docker save` tarball, streamed. */
  async save(names: string[], options: CallOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.client.send({ ...options, method: "GET", path: "/images/get", query: { names } });
    return bodyOf(response);
  }

  /** Searches Docker Hub (or the engine's configured index). */
  search(term: string, options: CallOptions & { limit?: number; filters?: Filters } = {}): Promise<ImageSearchResponse> {
    const { limit, filters, ...call } = options;
    return this.client.json({ ...call, method: "GET", path: "/images/search", query: { term, limit, filters } });
  }

  /** Manifest and platforms of an image in its registry, without pulling it. */
  async distribution(ref: string, options: CallOptions & { auth?: RegistryAuth | string } = {}): Promise<DistributionInspect> {
    const { auth, ...call } = options;
    const headers = await withImageAuth(this.client, ref, auth, call.headers);
    return this.client.json({ ...call, headers, method: "GET", path: "/distribution/{name}/json", params: { name: ref } });
  }

  /** Removes build cache (`docker builder prune`). */
  pruneBuildCache(options: CallOptions & { all?: boolean; filters?: Filters; keepStorage?: number } = {}): Promise<BuildPruneResponse> {
    const { all, filters, keepStorage, ...call } = options;
    return this.client.json({ ...call, method: "POST", path: "/build/prune", query: { all, filters, "keep-storage": keepStorage } });
  }

  /** Removes unused images (dangling only unless `filters: { dangling: false }`). */
  prune(options: CallOptions & { filters?: Filters } = {}): Promise<ImagePruneResponse> {
    const { filters, ...call } = options;
    return this.client.json({ ...call, method: "POST", path: "/images/prune", query: { filters } });
  }
}

/** An image. `attrs` holds what the engine last said about it; `id` is its id or the name the handle was made from. */
export class Image extends Handle<ImageSummary | ImageInspect, ImageInspect> {
  /** @internal */
  protected static override readonly routes: Routes = { list: "/images/json", inspect: "/images/{name}/json", id: ["Id"] };

  /** Repository tags, if known. */
  get tags(): string[] {
    return (this.attrs as { RepoTags?: string[] } | undefined)?.RepoTags ?? [];
  }

  /** Tags the image as `repo[:tag]` (`docker tag`). */
  tag(repo: string, tag?: string, options: CallOptions = {}): Promise<void> {
    if (tag === undefined) {
      // Accept "repo:tag" in one string, like the CLI.
      ({ name: repo, tag } = parseImageRef(repo));
    }
    return this.client.void({ ...options, method: "POST", path: "/images/{name}/tag", params: { name: this.id }, query: { repo, tag } });
  }

  /** Removes the image (`docker rmi`). Returns the untagged and deleted references. */
  remove(options: CallOptions & { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponse> {
    const { force, noprune, ...call } = options;
    return this.client.json({ ...call, method: "DELETE", path: "/images/{name}", params: { name: this.id }, query: { force, noprune } });
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

  /** Pushes the image, as a stream of progress events. */
  async pushStream(options: PushOptions & { tag?: string } = {}): Promise<ProgressStream> {
    const { auth, platform, tag: explicitTag, onProgress, ...call } = options;
    const { name, tag } = parseImageRef(this.id);
    const headers = await withImageAuth(this.client, this.id, auth, call.headers, true);
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
    const response = await this.client.send({ ...options, method: "GET", path: "/images/{name}/get", params: { name: this.id } });
    return bodyOf(response);
  }

  /** Attestations (SBOM, provenance) of the image's platforms (API 1.55+). */
  attestations(options: CallOptions & { platform?: string[]; type?: string[]; statement?: boolean } = {}): Promise<ImageAttestationsResponse> {
    const { platform, type, statement, ...call } = options;
    return this.client.json({ ...call, method: "GET", path: "/images/{name}/attestations", params: { name: this.id }, query: { platform, type, statement } });
  }

  /** The image's layers and the commands that made them. */
  history(options: CallOptions = {}): Promise<ImageHistoryResponse> {
    return this.client.json({ ...options, method: "GET", path: "/images/{name}/history", params: { name: this.id } });
  }
}

function isDirectory(context: BuildContext): context is { directory: string } {
  return typeof (context as { directory?: unknown }).directory === "string";
}



