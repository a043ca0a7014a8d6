// Volumes: the collection (`docker.volumes`) and the handle (`Volume`).

import type { CallOptions, Client } from "../request/engine.ts";
import type {
  ClusterVolumeSpec,
  Filters,
  Volume as VolumeInfo,
  VolumeCreateRequest,
  VolumeListResponse,
  VolumePruneResponse,
} from "../generated/types.ts";
import { volumeCreate, volumeDelete, volumeInspect, volumeList, volumePrune, volumeUpdate, type VolumeDeleteOptions } from "../generated/endpoints/volume.ts";
import { operationMinVersion } from "../generated/versions.ts";
import { DockerConflictError, DockerError, DockerNotFoundError } from "../errors/errors.ts";
import { filterValues, matchesLabelFilters } from "../dialect/podman.ts";
import { compareVersions } from "../request/version.ts";
import { Collection, Handle, type Routes } from "./handle.ts";

/** The list of volumes, with the engine's warnings (e.g. a volume driver that did not answer). */
export type VolumeList = Volume[] & { warnings: string[] };

export interface VolumeListOptions extends CallOptions {
  /** `dangling`, `driver`, `label`, `name`. */
  filters?: Filters;
}

export interface VolumePruneOptions extends CallOptions {
  /** `label`, `label!`; and `all` (API 1.42+): see `prune`. */
  filters?: Filters;
  /** Also prune named volumes, not just anonymous ones. Shorthand for `filters: { all: true }`. */
  all?: boolean;
}

export interface VolumeUpdateOptions extends CallOptions {
  /** The cluster volume's version index; read from the volume when omitted. */
  version?: number;
}

// From API 1.42 the engine prunes only anonymous volumes unless told `all`; before, it pruned every
// unused volume and refused the `all` filter. Documented in the spec's version history.
const PRUNE_ALL_FILTER_SINCE = "1.42";

/** `docker.volumes`: create, list (with the engine's warnings), get by name, ref, prune. */
export class VolumeCollection extends Collection<Volume, VolumeListOptions> {
  constructor(client: Client) {
    super(client, Volume);
  }

  /** Creates a volume (`docker volume create`); without `Name` the engine picks one. */
  async create(config: VolumeCreateRequest = {}, options: CallOptions = {}): Promise<Volume> {
    const info = await volumeCreate(this.client, config, options);
    return new Volume(this.client, info.Name, info);
  }

  /**
   * One request for the whole list: handles holding each volume, plus the engine's `warnings`.
   * (Not the shared list: the engine wraps the volumes in an object.)
   */
  override async list(options: VolumeListOptions = {}): Promise<VolumeList> {
    const { filters, ...call } = options;
    const answer: VolumeListResponse | null = await volumeList(this.client, options);
    let infos = answer?.Volumes ?? [];
    const labels = filterValues(filters, "label");
    // Podman 4 matches volumes having ANY of several labels; dockerd, and every other list, ALL.
    if (labels.length > 1 && (await this.client.dialect(call)).volumeLabelsMatchAny) infos = infos.filter((v) => matchesLabelFilters(v.Labels, labels));
    const volumes = infos.map((info) => new Volume(this.client, info.Name, info));
    return Object.assign(volumes, { warnings: answer?.Warnings ?? [] });
  }

  /**
   * Removes unused volumes (`docker volume prune`). Engines speaking API 1.42 or newer remove only
   * anonymous volumes unless `all: true` (or `filters: { all: true }`); older engines remove every
   * unused volume and reject the `all` filter, so berth leaves it out for them: `all: true` means
   * the same thing on both.
   */
  async prune(options: VolumePruneOptions = {}): Promise<VolumePruneResponse> {
    const { filters, all, ...call } = options;
    let effective: Filters | undefined = filters;
    if (all !== undefined || filters?.all !== undefined) {
      const { all: allFilter, ...rest } = filters ?? {};
      const wantsAll = all ?? isTruthyFilter(allFilter);
      const allFilterKnown = compareVersions(await this.client.apiVersion(), PRUNE_ALL_FILTER_SINCE) >= 0;
      effective = wantsAll && allFilterKnown ? { ...rest, all: true } : rest;
    }
    if (filterValues(effective, "label").length > 1 && (await this.client.dialect(call)).volumeLabelsMatchAny) return this.#pruneEach(effective ?? {}, call);
    const result: VolumePruneResponse | undefined = await volumePrune(this.client, { ...call, filters: effective });
    return { VolumesDeleted: result?.VolumesDeleted ?? [], SpaceReclaimed: result?.SpaceReclaimed ?? 0 };
  }

  /**
   * Podman 4 prunes the volumes matching ANY of several label filters, which would delete volumes
   * the caller excluded. berth prunes those itself: the volumes carrying every label (and none of
   * the `label!` ones) are removed one by one, and those in use stay, as in a prune. Podman's
   * API 1.41 prunes named volumes too, and so does this. The space reclaimed is not known (0).
   */
  async #pruneEach(filters: Filters, call: CallOptions): Promise<VolumePruneResponse> {
    const labels = filterValues(filters, "label");
    const excluded = filterValues(filters, "label!");
    const candidates = (await this.list({ ...call, filters: { label: labels } })).filter(
      (v) => !excluded.some((label) => matchesLabelFilters(v.attrs?.Labels, [label])),
    );
    const deleted: string[] = [];
    for (const volume of candidates) {
      try {
        await volume.remove(call);
        deleted.push(volume.name);
      } catch (err) {
        // In use: a prune leaves it. Gone meanwhile: nothing to do.
        if (!(err instanceof DockerConflictError) && !(err instanceof DockerNotFoundError)) throw err;
      }
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: 0 };
  }
}

/** A volume. `id` is its name: volumes have no other id. `attrs` holds what the engine last said about it. */
export class Volume extends Handle<VolumeInfo> {
  /** @internal */
  protected static override readonly routes: Routes = { name: "volume", list: volumeList, inspect: volumeInspect, id: ["Name"] };

  get name(): string {
    return this.id;
  }

  /** Removes the volume; fails with DockerConflictError while a container uses it (even with `force`). */
  remove(options: VolumeDeleteOptions = {}): Promise<void> {
    return volumeDelete(this.client, this.id, options);
  }

  /**
   * Updates a cluster volume's spec (swarm, API 1.42+; only `AccessMode.Availability` can change). Engines
   * before 1.42 refuse with DockerVersionError. The version index is read from the volume when
   * not given.
   */
  async update(spec: ClusterVolumeSpec, options: VolumeUpdateOptions = {}): Promise<void> {
    const { version, ...call } = options;
    // (Without a version only to an engine that lacks the operation: it is refused before sending.)
    const send = (v: number | undefined) => volumeUpdate(this.client, this.id, { Spec: spec }, { ...call, version: v as number });
    if (version !== undefined) return send(version);
    // An engine without the operation refuses before anything is sent: let the core say so,
    // rather than inspecting first and failing on the missing cluster fields.
    const needed = operationMinVersion["PUT /volumes/{name}"];
    if (needed !== undefined && compareVersions(await this.client.apiVersion(), needed) < 0) return send(undefined);
    const info = await this.inspect(call);
    const index = info.ClusterVolume?.Version?.Index;
    if (index === undefined) {
      throw new DockerError(`Volume ${this.id} is not a cluster volume: only cluster volumes (swarm, API 1.42+) can be updated`);
    }
    return send(index);
  }
}

function isTruthyFilter(value: Filters[string] | undefined): boolean {
  if (Array.isArray(value)) return value.some((v) => v === true || v === "true" || v === "1");
  return value === true || value === "true" || value === "1";
}

