// Images: the collection (`docker.images`) and the handle (`Image`).

import type { CallOptions, Client } from "../client.ts";
import type {
  Filters,
  ImageDeleteResponse,
  ImageHistoryResponse,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
} from "../generated/types.ts";

export interface ImageListOptions extends CallOptions {
  all?: boolean;
  filters?: Filters;
  digests?: boolean;
  sharedSize?: boolean;
}

export class ImageCollection {
  readonly #client: Client;
  constructor(client: Client) {
    this.#client = client;
  }

  /** One request for the whole list. */
  async list(options: ImageListOptions = {}): Promise<Image[]> {
    const { all, filters, digests, sharedSize, ...call } = options;
    const items = await this.#client.json<ImageSummary[]>({
      ...call,
      method: "GET",
      path: "/images/json",
      query: { all, filters, digests, "shared-size": sharedSize },
    });
    return items.map((summary) => new Image(this.#client, summary.Id, summary));
  }

  /** Inspects an image by name, tag or id; rejects with DockerNotFoundError when none. */
  async get(name: string, options: CallOptions = {}): Promise<Image> {
    const info = await inspectImage(this.#client, name, options);
    return new Image(this.#client, info.Id ?? name, info);
  }

  /** A handle for a known name or id, without a request. */
  ref(name: string): Image {
    return new Image(this.#client, name);
  }

  /** Removes unused images (dangling only unless `filters: { dangling: false }`). */
  prune(options: CallOptions & { filters?: Filters } = {}): Promise<ImagePruneResponse> {
    const { filters, ...call } = options;
    return this.#client.json({ ...call, method: "POST", path: "/images/prune", query: { filters } });
  }
}

/** An image. `attrs` holds what the engine last said about it. */
export class Image {
  readonly #client: Client;
  /** Id, or the name the handle was made from. */
  id: string;
  attrs: ImageSummary | ImageInspect | undefined;

  constructor(client: Client, id: string, attrs?: ImageSummary | ImageInspect) {
    this.#client = client;
    this.id = id;
    this.attrs = attrs;
  }

  /** @internal */
  get client(): Client {
    return this.#client;
  }

  /** Repository tags, if known. */
  get tags(): string[] {
    return (this.attrs as { RepoTags?: string[] } | undefined)?.RepoTags ?? [];
  }

  inspect(options: CallOptions = {}): Promise<ImageInspect> {
    return inspectImage(this.#client, this.id, options);
  }

  async reload(options: CallOptions = {}): Promise<this> {
    const info = await this.inspect(options);
    this.attrs = info;
    this.id = info.Id ?? this.id;
    return this;
  }

  /** Tags the image as `repo[:tag]` (`docker tag`). */
  tag(repo: string, tag?: string, options: CallOptions = {}): Promise<void> {
    if (tag === undefined) {
      // Accept "repo:tag" in one string, like the CLI; a colon before the last slash is a port.
      const colon = repo.lastIndexOf(":");
      if (colon > repo.lastIndexOf("/")) {
        tag = repo.slice(colon + 1);
        repo = repo.slice(0, colon);
      }
    }
    return this.#client.void({ ...options, method: "POST", path: "/images/{name}/tag", params: { name: this.id }, query: { repo, tag } });
  }

  /** Removes the image (`docker rmi`). Returns the untagged and deleted references. */
  remove(options: CallOptions & { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponse> {
    const { force, noprune, ...call } = options;
    return this.#client.json({ ...call, method: "DELETE", path: "/images/{name}", params: { name: this.id }, query: { force, noprune } });
  }

  /** The image's layers and the commands that made them. */
  history(options: CallOptions = {}): Promise<ImageHistoryResponse> {
    return this.#client.json({ ...options, method: "GET", path: "/images/{name}/history", params: { name: this.id } });
  }
}

function inspectImage(client: Client, name: string, options: CallOptions): Promise<ImageInspect> {
  return client.json({ ...options, method: "GET", path: "/images/{name}/json", params: { name } });
}
