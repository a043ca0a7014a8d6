// The engine's swarm membership (`docker.swarm`): init, join, inspect, update, lock, leave.

import type { CallOptions, Client } from "../request/engine.ts";
import { DockerHttpError } from "../errors/errors.ts";
import type {
  LocalNodeState,
  Swarm,
  SwarmInitBody,
  SwarmJoinBody,
  SwarmSpec,
  SwarmUnlockkeyResponse,
  SystemInfo,
} from "../generated/types.ts";
import { swarmInit, swarmInspect, swarmJoin, swarmLeave, swarmUnlock, swarmUnlockkey, swarmUpdate, type SwarmLeaveOptions } from "../generated/endpoints/swarm.ts";
import { systemInfo } from "../generated/endpoints/system.ts";
import { resolveUpdate, type SpecUpdate } from "./versioned-update.ts";

export interface SwarmUpdateOptions extends CallOptions {
  /** The swarm's version index; read from the engine when omitted. */
  version?: number;
  /** Issue a new worker join token (the old one stops working). */
  rotateWorkerToken?: boolean;
  /** Issue a new manager join token. */
  rotateManagerToken?: boolean;
  /** Issue a new unlock key (autolock). */
  rotateManagerUnlockKey?: boolean;
}

export class SwarmApi {
  readonly #client: Client;
  constructor(client: Client) {
    this.#client = client;
  }

  /**
   * Makes this engine the first manager of a new swarm (`docker swarm init`); resolves with the
   * node's id. `AdvertiseAddr` is needed when the host has several addresses.
   */
  init(config: SwarmInitBody = {}, options: CallOptions = {}): Promise<string> {
    return swarmInit(this.#client, config, options);
  }

  /** Joins an existing swarm as a worker or manager, depending on the token (`docker swarm join`). */
  join(config: SwarmJoinBody, options: CallOptions = {}): Promise<void> {
    return swarmJoin(this.#client, config, options);
  }

  /**
   * The swarm's id, version, spec and join tokens. Only a manager can answer: elsewhere the engine
   * fails with 503 (DockerServerError).
   */
  inspect(options: CallOptions = {}): Promise<Swarm> {
    return swarmInspect(this.#client, options);
  }

  /**
   * This engine's membership, from `GET /info`: `inactive`, `pending`, `active`, `error` or
   * `locked`. Works on any node, in or out of a swarm.
   */
  async state(options: CallOptions = {}): Promise<LocalNodeState> {
    const info: SystemInfo = await systemInfo(this.#client, options);
    return info.Swarm?.LocalNodeState ?? "";
  }

  /**
   * Replaces the swarm's spec (`docker swarm update`). Pass a function to change part of the
   * current spec, or omit the spec to keep it (to rotate tokens or the unlock key only).
   */
  async update(spec?: SpecUpdate<SwarmSpec>, options: SwarmUpdateOptions = {}): Promise<void> {
    const { version, ...call } = options;
    const resolved = await resolveUpdate("swarm update", spec ?? ((current: SwarmSpec) => current), version, () => this.inspect(call));
    return swarmUpdate(this.#client, resolved.spec, { ...call, version: resolved.version });
  }

  /** The key that unlocks a locked manager (`docker swarm unlock-key`); empty when autolock is off. */
  async unlockKey(options: CallOptions = {}): Promise<string> {
    const answer: SwarmUnlockkeyResponse | undefined = await swarmUnlockkey(this.#client, options);
    return answer?.UnlockKey ?? "";
  }

  /** Unlocks a manager that restarted with autolock on (`docker swarm unlock`). */
  unlock(unlockKey: string, options: CallOptions = {}): Promise<void> {
    return swarmUnlock(this.#client, { UnlockKey: unlockKey }, options);
  }

  /**
   * Leaves the swarm (`docker swarm leave`); the last manager needs `force`. Idempotent: an engine
   * that is not in a swarm has nothing to leave, and the call resolves (the engine's "not part of
   * a swarm" refusal is not an error here).
   */
  async leave(options: SwarmLeaveOptions = {}): Promise<void> {
    try {
      await swarmLeave(this.#client, options);
    } catch (err) {
      // 503 from current engines, 406 from older ones.
      if (err instanceof DockerHttpError && (err.status === 503 || err.status === 406) && /not part of a swarm/i.test(err.reason)) return;
      throw err;
    }
  }
}
