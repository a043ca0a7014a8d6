// Swarm tasks (`docker.tasks`): the containers a service schedules, one per replica and attempt.

import type { CallOptions, Client } from "../request/engine.ts";
import type { Filters, Task as TaskInfo } from "../generated/types.ts";
import { taskInspect, taskList } from "../generated/endpoints/task.ts";
import { Collection, Handle, type Routes } from "./handle.ts";
import type { TransportResponse } from "../transport/transport.ts";
import { outputOf, type OutputStream } from "../streams/output.ts";

export interface TaskListOptions extends CallOptions {
  /** `desired-state` (`running`/`shutdown`/`accepted`), `id`, `label`, `name`, `node`, `service`. */
  filters?: Filters;
}

/** Options of a service's or task's logs. At least one of stdout/stderr is sent: both by default. */
export interface SwarmLogsOptions extends CallOptions {
  details?: boolean;
  /** Keep the stream open for new output. */
  follow?: boolean;
  /** Default true. */
  stdout?: boolean;
  /** Default true. */
  stderr?: boolean;
  /** Only output since this time (a Date, or seconds since the epoch). */
  since?: number | Date;
  timestamps?: boolean;
  /** Only this many lines from the end; default all. */
  tail?: number | "all";
  /** Whether the service's containers have a TTY (decides framing); default from `attrs`, else false. */
  tty?: boolean;
}

/** `docker.tasks`: list (`docker service ps` across services, one request), get by id, ref. */
export class TaskCollection extends Collection<Task, TaskListOptions> {
  constructor(client: Client) {
    super(client, Task);
  }
}

/** A task. `attrs` holds what the engine last said about it. */
export class Task extends Handle<TaskInfo> {
  /** @internal */
  protected static override readonly routes: Routes = { name: "task", list: taskList, inspect: taskInspect, id: ["ID"] };

  /** The task's state as last seen: `running`, `complete`, `failed`, ... */
  get state(): string | undefined {
    return this.attrs?.Status?.State;
  }

  /**
   * The task's logs as the engine sends them: a multiplexed stream (8-byte frame headers) unless
   * the task has a TTY. Read `body`, or decode it with the stream demuxer.
   */
  logsRaw(options: SwarmLogsOptions = {}): Promise<TransportResponse> {
    return logsRaw(this.client, "/tasks/{id}/logs", this.id, options);
  }

  /** The task's logs as `{ stream, data }` frames, like `Container#logs`. */
  async logs(options: SwarmLogsOptions = {}): Promise<OutputStream> {
    const tty = options.tty ?? (await knownOrInspected(this, options, (info) => info.Spec?.ContainerSpec?.TTY));
    return swarmLogs(this.client, "/tasks/{id}/logs", this.id, { ...options, tty });
  }
}

/**
 * @internal The TTY setting from a handle's attrs, or from an inspect (which fills them) when it
 * has none. Absent from the spec means no TTY.
 */
export async function knownOrInspected<A extends object>(
  handle: Handle<A, A>,
  call: CallOptions,
  read: (attrs: A) => boolean | undefined,
): Promise<boolean> {
  if (handle.attrs === undefined) await handle.reload({ signal: call.signal, timeout: call.timeout });
  return read(handle.attrs!) ?? false;
}

/** @internal Service and task logs through the same demuxing as container logs. */
export async function swarmLogs(client: Client, path: string, id: string, options: SwarmLogsOptions): Promise<OutputStream> {
  const response = await logsRaw(client, path, id, options);
  return outputOf(response, options.tty ?? false, { timestamps: options.timestamps });
}

/** @internal Shared by services and tasks. */
export function logsRaw(client: Client, path: string, id: string, options: SwarmLogsOptions): Promise<TransportResponse> {
  const { details, follow, stdout = true, stderr = true, since, timestamps, tail, tty: _tty, ...call } = options;
  return client.send({ ...call, method: "GET", path, params: { id }, query: { details, follow, stdout, stderr, since, timestamps, tail } });
}

