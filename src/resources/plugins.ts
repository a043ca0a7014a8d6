// Engine plugins (managed, v2): the collection (`docker.plugins`) and the handle (`Plugin`).
//
// pull, upgrade and push answer with a progress stream (JSON lines) and finish only when that
// stream ends: they resolve with the raw response, whose body the caller reads to the end.

import { bodyOf } from "../streams/bytes.ts";
import type { CallOptions, Client } from "../request/engine.ts";
import type { Filters, Plugin as PluginInfo, PluginPrivilege } from "../generated/types.ts";
import { archiveBody } from "../streams/archive-body.ts";
import type { TarEntry } from "../streams/tar.ts";
import type { RequestBody, TransportResponse } from "../transport/transport.ts";
import { ProgressStream } from "../streams/progress.ts";
import {
  getPluginPrivileges,
  pluginCreate,
  pluginDelete,
  pluginDisable,
  pluginEnable,
  pluginInspect,
  pluginList,
  pluginSet,
  type PluginDeleteOptions,
  type PluginDisableOptions,
  type PluginEnableOptions,
} from "../generated/endpoints/plugin.ts";
import { Collection, Handle, type Routes } from "./handle.ts";
import { withRegistryAuth, type RegistryAuth } from "./registry-auth-header.ts";

export interface PluginListOptions extends CallOptions {
  /** `capability` (e.g. `volumedriver`), `enabled` (`true`/`false`; the spec's `enable` is refused by engines). */
  filters?: Filters;
}

export interface PluginPullOptions extends CallOptions {
  /** Local name for the plugin; default: the remote reference. */
  name?: string;
  /**
   * The privileges granted to the plugin. The engine refuses a plugin that needs privileges not
   * granted here; get them from `privileges(remote)`, review them, and pass them on. Default none.
   */
  privileges?: PluginPrivilege[];
  auth?: RegistryAuth | string;
}

/** `docker.plugins`: list installed plugins, get by name (`:latest` optional) or id, ref, pull, create. */
export class PluginCollection extends Collection<Plugin, PluginListOptions> {
  constructor(client: Client) {
    super(client, Plugin);
  }

  /** The privileges a plugin in a registry asks for (network, mounts, devices, capabilities...). */
  async privileges(remote: string, options: CallOptions & { auth?: RegistryAuth | string } = {}): Promise<PluginPrivilege[]> {
    const { auth, headers, ...call } = options;
    const answer: PluginPrivilege[] | null = await getPluginPrivileges(this.client, { ...call, headers: withRegistryAuth(headers, auth), remote });
    return answer ?? [];
  }

  /**
   * Installs a plugin from a registry (`docker plugin install`, without enabling it). Resolves
   * once the engine starts answering with the progress stream: iterate it, or `await
   * stream.done()`; an in-band error rejects with DockerStreamError.
   */
  async pull(remote: string, options: PluginPullOptions = {}): Promise<ProgressStream> {
    const { name, privileges, auth, headers, ...call } = options;
    return progress(await this.client.send({
      ...call,
      headers: withRegistryAuth(headers, auth),
      method: "POST",
      path: "/plugins/pull",
      query: { remote, name },
      body: privileges ?? [],
    }));
  }

  /**
   * Creates a plugin from a tar archive holding `config.json` and the `rootfs/` folder
   * (`docker plugin create`): the archive's bytes (a stream, Blob or Uint8Array), or its entries,
   * written as tar on the fly. The plugin is installed disabled. No timeout by default, since the
   * upload of a root filesystem may take a while; pass `timeout` or `signal` to bound it.
   */
  async create(
    name: string,
    archive: RequestBody | Iterable<TarEntry> | AsyncIterable<TarEntry>,
    options: CallOptions = {},
  ): Promise<Plugin> {
    const body = await archiveBody(archive);
    await pluginCreate(this.client, body, { timeout: 0, ...options, name });
    return new Plugin(this.client, name);
  }
}

/** A plugin. `attrs` holds what the engine last said about it; `id` is its id or the name it was made from. */
export class Plugin extends Handle<PluginInfo> {
  /** @internal The spec makes `Id` optional: without it, the name identifies the plugin. */
  protected static override readonly routes: Routes = { name: "plugin", list: pluginList, inspect: pluginInspect, id: ["Id", "Name"] };

  /** The plugin's name, e.g. `vieux/sshfs:latest`, if known. */
  get name(): string | undefined {
    return this.attrs?.Name;
  }

  /**
   * What push and upgrade name the plugin by: its name once known. The engine parses their name
   * as an image reference, which refuses a 64-hex id (what `id` is after `reload()` or `list()`).
   */
  get #reference(): string {
    return this.attrs?.Name ?? this.id;
  }

  /** Whether the plugin was running when last seen. */
  get enabled(): boolean | undefined {
    return this.attrs?.Enabled;
  }

  /**
   * Starts the plugin (`docker plugin enable`). `activateTimeout` (seconds) is how long the engine
   * waits for the plugin to answer on its socket (the engine's default when omitted).
   */
  enable(options: PluginEnableOptions = {}): Promise<void> {
    return pluginEnable(this.client, this.id, options);
  }

  /** Stops the plugin; `force` even while containers or volumes use it. */
  disable(options: PluginDisableOptions = {}): Promise<void> {
    return pluginDisable(this.client, this.id, options);
  }

  /**
   * Changes settable values (`docker plugin set`) of a disabled plugin: environment variables
   * (`KEY=value`), `args=...`, `mount.source=...`, `device.path=...`.
   */
  set(settings: string[] | Record<string, string>, options: CallOptions = {}): Promise<void> {
    const body = Array.isArray(settings) ? settings : Object.entries(settings).map(([key, value]) => `${key}=${value}`);
    return pluginSet(this.client, this.id, body, options);
  }

  /**
   * Pushes the plugin to its registry (`docker plugin push`). Resolves with the progress
   * stream; the push is done when it ends (`await stream.done()`).
   */
  async push(options: CallOptions & { auth?: RegistryAuth | string } = {}): Promise<ProgressStream> {
    const { auth, headers, ...call } = options;
    return progress(await this.client.send({ ...call, headers: withRegistryAuth(headers, auth), method: "POST", path: "/plugins/{name}/push", params: { name: this.#reference } }));
  }

  /**
   * Replaces a disabled plugin with another version from a registry (`docker plugin upgrade`),
   * keeping its settings. Resolves with the progress stream (`await stream.done()`).
   */
  async upgrade(remote: string, options: Omit<PluginPullOptions, "name"> = {}): Promise<ProgressStream> {
    const { privileges, auth, headers, ...call } = options;
    return progress(await this.client.send({
      ...call,
      headers: withRegistryAuth(headers, auth),
      method: "POST",
      path: "/plugins/{name}/upgrade",
      params: { name: this.#reference },
      query: { remote },
      body: privileges ?? [],
    }));
  }

  /** Removes the plugin (`docker plugin rm`); an enabled one needs `force`. */
  async remove(options: PluginDeleteOptions = {}): Promise<void> {
    // The spec promises the removed plugin in the answer; engines send an empty body.
    await pluginDelete(this.client, this.id, options);
  }
}

function progress(response: TransportResponse): ProgressStream {
  return new ProgressStream(bodyOf(response));
}

